"""The error answers in the OpenAPI schema (registry.api.schema): every operation lists the
errors it may answer, and the API answers them with the body the schema documents."""

import re

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.api.conftest import full_course

SECURED = "needs sign-in"


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    """(method, path, operation) of every operation of the API."""
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def needs_sign_in(operation: dict) -> bool:
    security = operation.get("security", [])
    return bool(security) and {} not in security


def places(operation: dict) -> set[str]:
    return {parameter["in"] for parameter in operation.get("parameters", [])}


def lacking(schema: dict, status: str, applies) -> list[str]:
    """The operations `applies` to that do not list `status`; fails when it applies to none."""
    concerned = [(m, p, op) for m, p, op in operations(schema) if applies(m, op)]
    assert concerned, f"no operation to check for {status}"
    return [f"{m.upper()} {p}" for m, p, op in concerned if status not in op["responses"]]


def body_schema(schema: dict, path: str, method: str, status: int) -> dict:
    """The documented JSON body of an answer, its references resolved."""
    answer = schema["paths"][path][method]["responses"][str(status)]
    return resolved(schema, answer["content"]["application/json"]["schema"])


def resolved(schema: dict, node):
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/components/schemas/")
            return resolved(schema, schema["components"]["schemas"][name])
        return {key: resolved(schema, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(schema, item) for item in node]
    return node


def assert_documented(schema: dict, path: str, method: str, response, status: int) -> None:
    assert response.status_code == status, (method, path, response.content[:300])
    jsonschema.validate(response.json(), body_schema(schema, path, method, status))


def address(path: str, **values) -> str:
    return re.sub(r"{(\w+)}", lambda name: str(values[name[1]]), path)


def test_every_operation_that_needs_a_sign_in_lists_401(schema):
    assert lacking(schema, "401", lambda _method, op: needs_sign_in(op)) == []


def test_only_the_token_endpoint_needs_no_sign_in(schema):
    open_ = [f"{m.upper()} {p}" for m, p, op in operations(schema) if not needs_sign_in(op)]

    assert open_ == ["POST /api/v1/auth/token/"]
    assert "401" not in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]


def test_every_operation_with_path_parameters_lists_404(schema):
    assert lacking(schema, "404", lambda _method, op: "path" in places(op)) == []


def test_every_paged_list_lists_404_for_a_page_past_the_end(schema):
    def paged(_method, op):
        return "page" in {parameter["name"] for parameter in op.get("parameters", [])}

    assert lacking(schema, "404", paged) == []


def test_every_write_and_every_operation_with_query_parameters_lists_400(schema):
    assert lacking(schema, "400", lambda method, _op: method != "get") == []
    assert lacking(schema, "400", lambda _method, op: "query" in places(op)) == []


def test_every_write_that_needs_a_sign_in_lists_403(schema):
    assert lacking(schema, "403", lambda method, op: method != "get" and needs_sign_in(op)) == []


def test_the_exports_list_403_for_roles_that_do_not_export(schema):
    exports = [path for path in schema["paths"] if "/export/" in path]

    # The cohort, ODM, FHIR's Bundle and NDJSON, patients.csv and .xlsx, de-identified, the
    # ADaM datasets and their Define-XML.
    assert len(exports) == 9
    assert [
        path for path in exports if "403" not in schema["paths"][path]["get"]["responses"]
    ] == []


def test_412_is_listed_exactly_where_if_match_is_taken(schema):
    def takes_if_match(op):
        return any(
            p["in"] == "header" and p["name"] == "If-Match" for p in op.get("parameters", [])
        )

    with_412 = {f"{m} {p}" for m, p, op in operations(schema) if "412" in op["responses"]}
    with_if_match = {f"{m} {p}" for m, p, op in operations(schema) if takes_if_match(op)}

    assert len(with_if_match) > 30
    assert with_412 == with_if_match


def test_no_operation_answers_428_since_if_match_is_optional(schema):
    assert [p for _m, p, op in operations(schema) if "428" in op["responses"]] == []


def test_integer_path_parameters_are_never_negative(schema):
    # Django's <int:…> takes digits only: "-1" would be its HTML "not found" page.
    negative = [
        f"{m.upper()} {p} {parameter['name']}"
        for m, p, op in operations(schema)
        for parameter in op.get("parameters", [])
        if parameter["in"] == "path"
        and parameter["schema"].get("type") == "integer"
        and parameter["schema"].get("minimum") != 0
    ]
    assert negative == []


def test_the_answers_a_view_declares_are_kept(schema):
    paths = schema["paths"]
    import_ = paths["/api/v1/studies/import/"]["post"]["responses"]
    token = paths["/api/v1/auth/token/"]["post"]["responses"]
    created = paths["/api/v1/patients/"]["post"]["responses"]["400"]
    analytics = paths["/api/v1/studies/{code}/analytics/survival/"]["get"]["responses"]["400"]

    assert import_["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ImportRejected"
    )
    assert "413" in import_ and "429" in token
    assert created["description"].startswith("Invalid input: each offending field (or non_")
    assert analytics["description"].startswith("A bad or unknown parameter")


@pytest.mark.django_db
def test_every_operation_answers_401_as_documented_without_credentials(schema):
    client = APIClient()
    asked = 0

    for method, path, operation in operations(schema):
        if not needs_sign_in(operation):
            continue
        url = address(path, id=1, patient_pk=1, code="HCD19", name="ADSL", file_format="csv")
        response = getattr(client, method)(url, {}, format="json")
        assert_documented(schema, path, method, response, 401)
        assert response["WWW-Authenticate"] == "Token"
        asked += 1

    assert asked > 80


@pytest.mark.django_db
def test_every_operation_with_path_parameters_answers_404_as_documented(schema, admin_user):
    full_course(subject_id="P001")
    client = APIClient()
    client.force_authenticate(admin_user)
    client.credentials(HTTP_X_CHANGE_REASON="Tried on a record that is not there")
    body = {"field": "last_contact_date", "question": "Source?", "answer": "Checked"}
    asked = 0

    for method, path, operation in operations(schema):
        if "path" not in places(operation):
            continue
        url = address(path, id=99999, patient_pk=99999, code="NOPE", name="ADSL", file_format="csv")
        response = getattr(client, method)(url, body, format="json")
        assert_documented(schema, path, method, response, 404)
        asked += 1

    assert asked > 60


@pytest.mark.django_db
def test_a_stale_if_match_answers_412_as_documented(schema, admin_user):
    infusion = full_course(subject_id="P001").infusions.get()
    client = APIClient()
    client.force_authenticate(admin_user)
    stale = f'W/"infusion-{infusion.pk}-0"'

    response = client.patch(
        f"/api/v1/infusions/{infusion.pk}/",
        {"weight_kg": 61.0},
        format="json",
        HTTP_IF_MATCH=stale,
        HTTP_X_CHANGE_REASON="Corrected",
    )

    assert_documented(schema, "/api/v1/infusions/{id}/", "patch", response, 412)


@pytest.mark.django_db
def test_a_missing_reason_and_a_bad_filter_answer_400_as_documented(schema, admin_user):
    infusion = full_course(subject_id="P001").infusions.get()
    client = APIClient()
    client.force_authenticate(admin_user)

    deleted = client.delete(f"/api/v1/infusions/{infusion.pk}/")
    listed = client.get("/api/v1/sites/", {"page_size": "many"})

    assert_documented(schema, "/api/v1/infusions/{id}/", "delete", deleted, 400)
    assert "X-Change-Reason" in deleted.json()
    assert_documented(schema, "/api/v1/sites/", "get", listed, 400)
    assert "page_size" in listed.json()


@pytest.mark.django_db
def test_a_monitor_s_write_and_export_answer_403_as_documented(schema, teammate):
    patient = full_course(subject_id="P001")
    client = APIClient()
    client.force_authenticate(teammate)

    changed = client.patch(
        f"/api/v1/patients/{patient.pk}/",
        {"subject_id": "CHANGED"},
        format="json",
        HTTP_X_CHANGE_REASON="Tried by a monitor",
    )
    exported = client.get(f"/api/v1/studies/{patient.study.code}/export/patients.csv")

    assert_documented(schema, "/api/v1/patients/{id}/", "patch", changed, 403)
    assert_documented(schema, "/api/v1/studies/{code}/export/patients.csv", "get", exported, 403)
