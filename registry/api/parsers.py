"""The API's parsers: DRF's JSON parser, refusing what registry.jsontext refuses, and the
reader of a CDISC ODM document for the import."""

import tempfile
from typing import BinaryIO

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.settings import api_settings

from registry import jsontext
from registry.interchange.odm.transactions import odm_read


class JSONParser(parsers.JSONParser):
    """A body read by registry.jsontext.loads: one nested deeper than MAX_DEPTH is a 400,
    as any body that is not JSON (parsing it would exhaust the stack); a UTF-8 byte order
    mark is read past. What the registry cannot store (registry.jsontext.refusals) is a 400
    naming where, whatever field reads it: text with a NUL character, in a look-up (a
    study's code), would even fail in PostgreSQL."""

    refuses_values = True

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        try:
            data = jsontext.loads(body)
        except jsontext.TooDeep:
            raise ParseError(jsontext.TOO_DEEP) from None
        except ValueError as error:  # not JSON, not UTF-8, NaN
            raise ParseError(f"JSON parse error - {error}") from None
        refused = jsontext.refusals(data) if self.refuses_values else []
        if refused:
            errors = {}
            for path, message in refused:
                errors.setdefault(path or api_settings.NON_FIELD_ERRORS_KEY, []).append(message)
            raise ValidationError(errors)
        return data


class DocumentParser(JSONParser):
    """For a cohort document, whose reader names each problem its own way, what it cannot
    store included (registry.interchange.reader)."""

    refuses_values = False


class OdmDocumentParser(parsers.BaseParser):
    """A CDISC ODM 1.3.2 document, checked against the schema: a snapshot read into the
    cohort document it holds (registry.interchange.odm.reader), which the import then
    checks and writes as any cohort document; or a transactional document's changes
    (registry.interchange.odm.transactions). What cannot be read raises DocumentRejected,
    naming where."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        return odm_read(spooled(stream, settings.ODM_IMPORT_MAX_BYTES))


class TooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


CHUNK = 1024 * 1024


def spooled(stream, limit: int) -> BinaryIO:
    """The body copied to a temporary file a chunk at a time, never whole in memory: an
    ODM document is read from it as a stream, twice (registry.interchange.odm.stream).
    A body longer than `limit` is refused as it arrives, whatever its Content-Length said."""
    spool = tempfile.TemporaryFile()
    size = 0
    while chunk := stream.read(CHUNK) if stream is not None else b"":
        size += len(chunk)
        if size > limit:
            spool.close()
            raise TooLarge(too_large(limit, "ODM_IMPORT_MAX_BYTES"))
        spool.write(chunk)
    spool.seek(0)
    return spool


def too_large(limit: int, setting: str) -> str:
    return f"The document is larger than the limit of {limit:,} bytes ({setting}); nothing was imported"
