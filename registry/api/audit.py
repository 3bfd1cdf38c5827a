"""Versions, reasons and the audit trail over HTTP.

- Reading a patient or a record answers with its version as an `ETag`, e.g.
  `W/"infusion-12-3"` (a patient's ETag versions its own fields; each section record has
  its own).
- `If-Match` on PUT, PATCH and DELETE is optional but honoured: when it does not name the
  stored version the answer is 412 Precondition Failed, saying who changed the record and
  when, and nothing is written. A client that sends it never overwrites a change it has
  not seen.
- `X-Change-Reason` says why: required to change or delete a saved record (400 naming the
  header when missing), optional on create. Kept in the record's history, at most 100
  characters; percent-encode what is not ASCII (UTF-8), e.g. `Dosis%20korrigiert%20%C2%B5`.
- patients/{id}/history/ lists every change of a patient and its course, newest first.
"""

from dataclasses import dataclass
from urllib.parse import unquote

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.settings import api_settings

from registry import services
from registry.api.schema import RegistrySchema

CHANGE_REASON_HEADER = "X-Change-Reason"
WRITES = ("PUT", "PATCH", "DELETE")


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record is not at the version named in If-Match; nothing was written"
    default_code = "precondition_failed"


@dataclass(frozen=True)
class Change:
    """What a write request says besides its body: why, and on which version."""

    reason: str = ""
    version: int | None = None


def etag(record: models.Model) -> str:
    return f"W/{_opaque_tag(record)}"


def _opaque_tag(record: models.Model) -> str:
    return f'"{record._meta.model_name}-{record.pk}-{record.version}"'


def if_match_version(request, record: models.Model | None) -> int | None:
    """The version If-Match names for `record`; None without If-Match (or with `*`)."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if record is None:
        raise PreconditionFailed("There is no such record yet: If-Match cannot match")
    if "*" in tags:
        return None
    if _opaque_tag(record) not in tags:
        raise PreconditionFailed(services.EditConflict(type(record), record.pk).messages[0])
    return record.version


def change_reason(request) -> str:
    return unquote(request.headers.get(CHANGE_REASON_HEADER, ""))


def refusal(error: DjangoValidationError, names: dict[str, str] | None = None) -> APIException:
    """The model layer's refusal as the API says it: 412 for an edit conflict, else 400 with
    the messages under the API's names for the fields (`names`) and X-Change-Reason."""
    if isinstance(error, services.EditConflict):
        return PreconditionFailed(error.messages[0])
    if not hasattr(error, "error_dict"):
        return ValidationError({api_settings.NON_FIELD_ERRORS_KEY: error.messages})
    names = {
        NON_FIELD_ERRORS: api_settings.NON_FIELD_ERRORS_KEY,
        services.REASON_FIELD: CHANGE_REASON_HEADER,
        **(names or {}),
    }
    return ValidationError(
        {names.get(key, key): value for key, value in error.message_dict.items()}
    )


def step_refusal(error: DjangoValidationError, names: dict[str, str] | None = None) -> APIException:
    """The refusal of a write that takes no If-Match (a new record, signing a casebook,
    answering a data query…) as the API says it: as `refusal`, but a patient another user
    deleted since the request read it is not found (404), saying who and when."""
    if isinstance(error, services.EditConflict):
        return NotFound(error.messages[0])
    return refusal(error, names)


REASON_DESCRIPTION = (
    "Why the record changes, kept in its history (at most 100 characters; percent-encode "
    "what is not ASCII, as UTF-8)."
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description='The record\'s version, e.g. W/"infusion-12-3"; send it back in If-Match',
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="Optional: the ETag of the version this change was made on. If the record "
    "has changed since, the answer is 412 Precondition Failed, saying who changed it and "
    "when, and nothing is written.",
)
REASON_ON_CHANGE = OpenApiParameter(
    CHANGE_REASON_HEADER,
    str,
    OpenApiParameter.HEADER,
    description=f"{REASON_DESCRIPTION} Required to change or delete a saved record: without "
    f"it the answer is 400 naming {CHANGE_REASON_HEADER}.",
)
REASON_ON_CREATE = OpenApiParameter(
    CHANGE_REASON_HEADER,
    str,
    OpenApiParameter.HEADER,
    description=f"{REASON_DESCRIPTION} Optional when a record is created.",
)


class VersionedRecordSchema(RegistrySchema):
    """Documents the headers VersionedRecordMixin reads and writes."""

    def get_override_parameters(self) -> list:
        parameters = super().get_override_parameters()
        if self.method in WRITES:
            parameters = [*parameters, IF_MATCH, REASON_ON_CHANGE]
        elif self.method == "POST":
            parameters = [*parameters, REASON_ON_CREATE]
        if self.method != "DELETE" and getattr(self.view, "action", None) != "list":
            parameters = [*parameters, ETAG]
        return parameters


class VersionedRecordMixin:
    """A viewset of patients or section records: ETag, If-Match and X-Change-Reason."""

    schema = VersionedRecordSchema()
    versioned: models.Model | None = None
    expected_version: int | None = None

    def get_object(self):
        record = super().get_object()
        self.check_precondition(record)
        return record

    def check_precondition(self, record: models.Model | None) -> None:
        if self.request.method in WRITES:
            self.expected_version = if_match_version(self.request, record)
        self.versioned = record

    def get_serializer_context(self) -> dict:
        change = Change(reason=change_reason(self.request), version=self.expected_version)
        return super().get_serializer_context() | {"change": change}

    def perform_create(self, serializer) -> None:
        serializer.save()
        self.versioned = serializer.instance

    # An update saves the record as read again under a lock (registry.services.record_update):
    # the ETag is that record's.
    perform_update = perform_create

    def perform_destroy(self, record) -> None:
        try:
            services.record_delete(
                record=record,
                user=self.request.user,
                reason=change_reason(self.request),
                version=self.expected_version,
            )
        except DjangoValidationError as error:
            raise refusal(error) from None
        self.versioned = None

    def finalize_response(self, request, response, *args, **kwargs):
        if self.versioned is not None and status.is_success(response.status_code):
            response["ETag"] = etag(self.versioned)
        return super().finalize_response(request, response, *args, **kwargs)
