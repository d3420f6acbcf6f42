"""GeoReport v2 documents in XML and JSON from one description of their shape.

A document is built as plain data (lists, dicts, text, numbers, booleans, None); JSON writes it as it
is, XML as elements named by the spec, with each list under its wrapper element and every item named
as the spec names it (<services><service>, <errors><error>, …). Empty values become empty elements.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# A list element of the spec → the name of each of its items.
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all, not even escaped (control characters a citizen's text may
# hold after a copy and paste); left in, they would make the whole document unreadable to a client.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list):
        item = LIST_ITEMS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, document) -> bytes:
    element = ET.Element(root)
    _fill(element, document)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def to_json(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def respond(fmt: str, root: str, document, *, status: int = 200) -> HttpResponse:
    """An answer in `fmt` (xml or json); `root` is the XML root element (JSON has none)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, document), content_type=XML_TYPE, status=status)
    return HttpResponse(to_json(document), content_type=JSON_TYPE, status=status)


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error answer: every error carries the HTTP status as its code."""
    document = [{"code": status, "description": description} for description in descriptions]
    return respond(fmt, "errors", document, status=status)
