"""The API's parsers: DRF's JSON parser, refusing what registry.jsontext refuses, and the
reader of a CDISC ODM document for the import."""

from io import BytesIO

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.settings import api_settings

from registry import jsontext
from registry.interchange.odm.transactions import odm_read


class JSONParser(parsers.JSONParser):
    """A body nested deeper than registry.jsontext.MAX_DEPTH is a 400, as any body that is
    not JSON: parsing it would exhaust the stack. Text holding a NUL character is a 400
    naming where, whatever field reads it: in a look-up (a study's code) PostgreSQL would
    fail on it."""

    refuses_nul = True

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        if jsontext.too_deep(body):
            raise ParseError(jsontext.TOO_DEEP)
        data = super().parse(BytesIO(body), media_type, parser_context)
        refused = jsontext.nul_paths(data) if self.refuses_nul else []
        if refused:
            where = (path or api_settings.NON_FIELD_ERRORS_KEY for path in refused)
            raise ValidationError({path: [jsontext.NUL_REFUSED] for path in where})
        return data


class DocumentParser(JSONParser):
    """For a cohort document, whose reader names each problem its own way, NUL included
    (registry.interchange.reader)."""

    refuses_nul = False


class OdmDocumentParser(parsers.BaseParser):
    """A CDISC ODM 1.3.2 document, checked against the schema: a snapshot read into the
    cohort document it holds (registry.interchange.odm.reader), which the import then
    checks and writes as any cohort document; or a transactional document's changes
    (registry.interchange.odm.transactions). What cannot be read raises DocumentRejected,
    naming where."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        return odm_read(stream.read())
