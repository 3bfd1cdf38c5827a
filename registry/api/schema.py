"""The error answers of every operation in the OpenAPI schema, worked out from the operation.

drf-spectacular documents what a view declares; the errors all views share are added here
(`RegistrySchema`, the REST framework's DEFAULT_SCHEMA_CLASS), so that a client, and
schemathesis, knows every status it may get and the body that comes with it:

| status | for                                                       | body               |
|--------|-----------------------------------------------------------|--------------------|
| 400    | writes (body, X-Change-Reason) and operations with query  | `ValidationErrors` |
|        | parameters: every one is validated (filters, page,        |                    |
|        | page_size, the analytics parameters)                      |                    |
| 401    | operations that need a signed-in user, asked without      | `Error`            |
|        | valid credentials                                         |                    |
| 403    | writes the user's permissions or study role do not allow  | `Error`            |
| 404    | operations with path parameters (a record or study the    | `Error`            |
|        | user does not read answers as one that does not exist),   |                    |
|        | and paged lists (a page past the end)                     |                    |
| 412    | operations that take If-Match, when it names an old       | `Error`            |
|        | version                                                   |                    |

An answer a view declares itself (extend_schema) is kept as declared. If-Match is
optional, so no operation answers 428. A read that refuses some roles (the exports) declares
its 403 itself. What several views declare alike is here too: the path parameters of a
patient and of a record, and the 400 of a write.
"""

import inspect
from copy import deepcopy

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import (
    ComponentIdentity,
    ResolvedComponent,
    build_bearer_security_scheme_object,
    build_choice_field,
    get_doc,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from registry.jsontext import MAX_DEPTH
from registry.services import REASON_REQUIRED

ERROR = inline_serializer("Error", {"detail": serializers.CharField(help_text="What went wrong")})
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: each offending field (or non_field_errors) with its messages",
)
PATIENT_ID = OpenApiParameter(
    "patient_pk", int, OpenApiParameter.PATH, description="Id of the patient"
)
RECORD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Id of the record")

VALIDATION_ERRORS = {
    "type": "object",
    "description": "What was refused, under the name of each offending field, header "
    "(X-Change-Reason) or query parameter, or under non_field_errors: a list of "
    "messages, or for a nested record or list its own errors by field or position. "
    f"A body that is not JSON at all, or JSON nested more than {MAX_DEPTH} levels deep, answers "
    '{"detail": "…"}.',
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {}}, {"type": "object"}, {"type": "string"}]
    },
    "example": {
        "weight_kg": ["Weight in kg must be between 0.5 and 300"],
        "X-Change-Reason": [REASON_REQUIRED],
    },
}

ANSWERS = {
    "400": "Invalid input: each offending field, header or query parameter with its messages",
    "401": "No valid credentials (or an expired or revoked token): send "
    "Authorization: Token <token>, or sign in",
    "403": "Signed in, but your permissions or your role in the study do not allow this",
    "404": "No such record, or none you read (a study or site you have no role at); "
    "or a page past the end of the list",
    "412": "If-Match names a version the record is no longer at: somebody changed it "
    "since, and nothing was written",
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": "The scheme to authenticate with: Token",
    }
}


class CodedField(OpenApiSerializerFieldExtension):
    """A coded text field (an analyte, a unit, a specimen, a treatment) as the enum of its
    codes, "" among them where it may be left blank (its default then applies)."""

    target_class = "registry.api.serializers.fields.CodedCharField"

    def map_serializer_field(self, auto_schema, direction) -> dict:
        # As a choice field of the same codes: one enum component for equal sets of codes,
        # whichever field declares them (a study's specimen settings are choice fields).
        codes = list(self.target.codes.items())
        return build_choice_field(
            serializers.ChoiceField(choices=codes, allow_blank=self.target.allow_blank)
        )


class TokenScheme(OpenApiAuthenticationExtension):
    """The API's knox tokens (registry.tokens), under the name DRF's tokens had."""

    target_class = "registry.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        definition = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )
        definition["description"] = (
            "Authorization: Token <token>, the token from POST /api/v1/auth/token/; it "
            "expires API_TOKEN_TTL_DAYS after it was given, or when the password changes"
        )
        return definition


class RegistrySchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the error answers of the table above."""

    def get_description(self) -> str:
        # A view given its description (as_view(description=…), as each section's viewset
        # is: registry.api.views.sections) is described by it, as DRF's answer to OPTIONS
        # describes it, rather than by its class's docstring; an action's docstring first.
        given = getattr(self.view, "description", None)
        action = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        if given and not get_doc(action):
            return inspect.cleandoc(given)
        return super().get_description()

    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                # Django's <int:…> takes digits only: "-1" is no address of this API.
                parameter["schema"] = {**parameter["schema"], "minimum": 0}
            if parameter["in"] == "query" and not parameter.get("required"):
                # Left empty (?sex=, as a form sends a field left blank), it is not given
                # (registry.parameters.given_params; django-filter's filters).
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for status in self.error_statuses(operation):
            responses.setdefault(status, self.error_answer(status))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_statuses(self, operation: dict) -> list[str]:
        """The error statuses `operation` may answer, by the table of the module."""
        given = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        places = {place for place, _name in given}
        write = self.method not in SAFE_METHODS
        security = operation.get("security", [])
        signed_in = bool(security) and {} not in security
        rules = {
            "400": write or "query" in places,
            "401": signed_in,
            "403": signed_in and write,
            "404": "path" in places or ("query", "page") in given,
            "412": ("header", "If-Match") in given,
        }
        return [status for status, applies in rules.items() if applies]

    def error_answer(self, status: str) -> dict:
        if status == "400":
            component = ResolvedComponent(
                name="ValidationErrors",
                type=ResolvedComponent.SCHEMA,
                object=ComponentIdentity("ValidationErrors"),
                schema=deepcopy(VALIDATION_ERRORS),
            )
            self.registry.register_on_missing(component)
            body = component.ref
        else:
            body = self.resolve_serializer(ERROR, "response").ref
        answer = {"content": {"application/json": {"schema": body}}, "description": ANSWERS[status]}
        if status == "401":
            answer["headers"] = WWW_AUTHENTICATE
        return answer
