"""A query parameter left empty (?sex=, as a form sends a field left blank) is taken as not
given, by every operation that takes one (registry.parameters.given_params, django-filter's
filters, the paging), as the schema says of each optional one (allowEmptyValue)."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import full_course
from tests.clients import api_client_of


def body(response):
    """The JSON of an answer without its links (they name the address asked for); the
    bytes of a download."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if not response["Content-Type"].startswith("application/json"):
        return None
    answer = json.loads(content)
    if isinstance(answer, dict):
        answer.pop("next", None), answer.pop("previous", None)
    return answer


@pytest.mark.django_db
def test_every_optional_query_parameter_left_empty_is_not_given(owner):
    patient = full_course(subject_id="P001")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    values = {
        "code": patient.study.code,
        "id": patient.pk,
        "patient_pk": patient.pk,
        "name": "ADSL",
        "file_format": "csv",
    }
    client = api_client_of(owner)
    checked, differ = set(), []

    for path, methods in schema["paths"].items():
        operation = methods.get("get")
        optional = [
            parameter["name"]
            for parameter in (operation or {}).get("parameters", [])
            if parameter.get("allowEmptyValue")
        ]
        if not optional:
            continue
        address = path.format(**values)
        # The content the operation answers first (JSON, CSV, NDJSON, XML, …).
        accept = next(iter(operation["responses"]["200"].get("content", {})), "*/*")
        without = client.get(address, HTTP_ACCEPT=accept)
        expected = (without.status_code, body(without))
        for name in optional:
            empty = client.get(address, {name: ""}, HTTP_ACCEPT=accept)
            checked.add(name)
            if (empty.status_code, body(empty)) != expected:
                differ.append(f"{path}?{name}= : {empty.status_code}, not {expected[0]}")

    assert differ == []
    # The patients' filters, the paging, the analyses' and the downloads' parameters.
    assert {"sex", "site", "page_size", "population", "by", "cutoff", "as_of", "since"} <= checked
