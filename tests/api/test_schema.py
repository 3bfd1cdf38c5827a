"""The OpenAPI schema and its interactive docs: valid, warning-free, every part described."""

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    """The registry API's operations (analytics has its own tests)."""
    for path, methods in schema["paths"].items():
        if "/analytics/" not in path:
            for method, operation in methods.items():
                yield f"{method.upper()} {path}", operation


def components(schema: dict) -> dict:
    """The components the registry API's operations refer to, directly or through others."""
    found, waiting = {}, [operation for _name, operation in operations(schema)]
    while waiting:
        item = waiting.pop()
        if isinstance(item, dict):
            reference = item.get("$ref", "")
            name = reference.removeprefix("#/components/schemas/")
            if reference and name not in found:
                found[name] = schema["components"]["schemas"][name]
                waiting.append(found[name])
            waiting += item.values()
        elif isinstance(item, list):
            waiting += item
    return found


def test_it_generates_a_valid_schema_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning or error of the generator or the validator.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")
    assert (tmp_path / "api.yaml").read_text().startswith("openapi: 3")


def test_it_describes_every_endpoint(schema):
    api = list(operations(schema))
    assert len(api) > 50
    assert [name for name, op in api if not op.get("description")] == []


def test_it_describes_every_parameter(schema):
    undescribed = [
        f"{name} {parameter['name']}"
        for name, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert undescribed == []


def test_it_describes_every_field(schema):
    assert {"Patient", "Infusion", "PaginatedPatientList", "ImportRejected"} <= set(
        components(schema)
    )
    undescribed = [
        f"{component}.{field}"
        for component, body in components(schema).items()
        for field, property_ in body.get("properties", {}).items()
        if not property_.get("description")
    ]
    assert undescribed == []


def test_it_documents_the_token_endpoint_and_scheme(schema):
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    body = token["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/TokenRequest")
    assert schema["components"]["securitySchemes"]["tokenAuth"]["in"] == "header"


def test_it_documents_the_patient_filters(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/patients/"]["get"]["parameters"]}
    assert {
        "study",
        "site",
        "sex",
        "age_min",
        "age_max",
        "prior_allo_hct",
        "prior_cd22_cart",
        "d30_response",
        "vital_status",
        "infused_after",
        "infused_before",
        "search",
        "ordering",
        "page",
        "page_size",
    } <= parameters


def test_a_query_s_answerer_and_closer_may_be_null(schema):
    query = schema["components"]["schemas"]["DataQuery"]["properties"]

    assert query["answered_by"]["nullable"] is True
    assert query["closed_by"]["nullable"] is True


def test_an_answer_at_a_cut_off_documents_its_warning(schema):
    export = schema["paths"]["/api/v1/studies/{code}/export/"]["get"]

    assert "Warning" in export["responses"]["200"]["headers"]


@pytest.mark.django_db
def test_the_schema_and_the_docs_need_no_sign_in(client):
    # They describe the API and hold no data: README, "REST API", says so.
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200
    assert client.get("/api/v1/studies/").status_code == 401


@pytest.mark.django_db
def test_it_serves_the_schema_and_the_docs_without_a_cdn(client):
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
