"""Request parsers: DRF's, refusing what no view could use as bad input naming the field: JSON nesting
too deep to decode, and text a database cannot store (yousu.core.storable) anywhere in the body.

Checked here, once for every endpoint, before any serializer reads the body: a serializer's error
message may echo the value (a ChoiceField's does), and a lone surrogate in it cannot be rendered.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from yousu.core import storable


def refuse_unstorable(data) -> None:
    field = storable.first_unstorable(data)
    if field is not None:
        field = field or "body"
        raise ValidationError({field: [storable.message()]})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.load recurses once per level; a body of 100,000 "[" is an attack, not a server error.
            raise ParseError("JSON 嵌套层数过多") from None
        refuse_unstorable(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_unstorable(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        # The fields; the files' names are the attachment service's to check (yousu.appeals.services).
        refuse_unstorable(parsed.data)
        return parsed
