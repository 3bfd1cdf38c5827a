"""The API's JSON parser: DRF's, refusing bodies nested too deep before parsing them."""

from io import BytesIO

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from registry import jsontext


class JSONParser(parsers.JSONParser):
    """A body nested deeper than registry.jsontext.MAX_DEPTH is a 400, as any body that is
    not JSON: parsing it would exhaust the stack (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        if jsontext.too_deep(body):
            raise ParseError(jsontext.TOO_DEEP)
        return super().parse(BytesIO(body), media_type, parser_context)
