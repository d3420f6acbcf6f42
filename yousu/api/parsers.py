"""Request parsers: DRF's JSON parser, with nesting too deep to decode refused as bad input."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.load recurses once per level; a body of 100,000 "[" is an attack, not a server error.
            raise ParseError("JSON 嵌套层数过多") from None
