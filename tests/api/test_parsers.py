"""JSON bodies nested too deep: a 400 saying so, before parsing, on every endpoint."""

import pytest
from rest_framework.test import APIClient

from registry import models
from registry.jsontext import MAX_DEPTH
from tests import factories
from tests.clients import api_client_of

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


def nested(depth: int) -> str:
    return '{"answer": ' + "[" * (depth - 1) + '"yes"' + "]" * (depth - 1) + "}"


def client_of(user) -> APIClient:
    return api_client_of(user, reason="Corrected")


def assert_refused_as_too_deep(response) -> None:
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert f"nested more than {MAX_DEPTH} levels deep" in detail


def test_it_refuses_a_deep_body_at_the_token_endpoint_signed_out():
    response = APIClient().post("/api/v1/auth/token/", DEEP, content_type="application/json")

    assert_refused_as_too_deep(response)


def test_it_refuses_a_deep_patch_and_writes_nothing(owner):
    infusion = factories.InfusionFactory()

    response = client_of(owner).patch(
        f"/api/v1/infusions/{infusion.pk}/", DEEP, content_type="application/json"
    )

    assert_refused_as_too_deep(response)
    assert models.Infusion.objects.get().version == 1


def test_it_refuses_a_deep_cohort_document(owner):
    response = client_of(owner).post(
        "/api/v1/studies/import/", DEEP, content_type="application/json"
    )

    assert_refused_as_too_deep(response)


def test_it_refuses_a_deep_data_query(teammate):
    patient = factories.PatientFactory()

    response = client_of(teammate).post(
        f"/api/v1/patients/{patient.pk}/queries/",
        nested(MAX_DEPTH + 1),
        content_type="application/json",
    )

    assert_refused_as_too_deep(response)
    assert not models.DataQuery.objects.exists()


def test_it_reads_a_body_at_the_limit_and_judges_its_fields(teammate):
    query = factories.DataQueryFactory(raised_by=teammate)

    response = client_of(teammate).post(
        f"/api/v1/queries/{query.pk}/answer/", nested(MAX_DEPTH), content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["answer"]


@pytest.mark.parametrize(
    ("url", "body", "path"),
    [
        ("/api/v1/patients/{patient}/", {"study": "HC\u0000D19"}, "study"),
        ("/api/v1/infusions/{infusion}/", {"lot": "L\u00001"}, "lot"),
        ("/api/v1/infusions/{infusion}/", {"lot\u0000": "L1"}, "lot\u0000"),
    ],
)
def test_it_refuses_text_holding_nul_naming_where(owner, url, body, path):
    infusion = factories.InfusionFactory()
    address = url.format(patient=infusion.patient_id, infusion=infusion.pk)

    response = client_of(owner).patch(address, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == {path: ["Must not contain a NUL character (\\u0000)."]}
    assert models.Infusion.objects.get().version == 1


def test_it_refuses_a_sign_in_holding_nul():
    body = {"username": "owner\u0000", "password": "x"}

    response = APIClient().post("/api/v1/auth/token/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["Must not contain a NUL character (\\u0000)."]}


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (
            '{"lot": "L\\u0007"}',
            "lot",
            "Must not contain an invisible control character (\\u0007).",
        ),
        (
            '{"lot": "L\\udc00"}',
            "lot",
            "Must not contain half of a character (\\udc00, a lone surrogate).",
        ),
        ('{"weight_kg": 1e400}', "weight_kg", "Too large a number to store (beyond 1.8e+308)."),
        (
            '{"lot": "L1", "lot": "L2"}',
            "lot",
            "Given more than once in the same object: give each key once.",
        ),
    ],
)
def test_it_refuses_what_it_could_not_store_naming_where(owner, body, path, message):
    infusion = factories.InfusionFactory()

    response = client_of(owner).patch(
        f"/api/v1/infusions/{infusion.pk}/", body, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response.json() == {path: [message]}
    assert models.Infusion.objects.get().version == 1


def test_it_reads_a_body_with_a_byte_order_mark(owner):
    infusion = factories.InfusionFactory(lot="L1")
    body = b"\xef\xbb\xbf" + b'{"lot": "L2"}'

    response = client_of(owner).patch(
        f"/api/v1/infusions/{infusion.pk}/", body, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert models.Infusion.objects.get().lot == "L2"


def test_a_whole_number_beyond_the_database_is_refused_in_the_fields_words(owner):
    infusion = factories.InfusionFactory()

    response = client_of(owner).patch(
        f"/api/v1/infusions/{infusion.pk}/", {"cells_per_kg": 2**63}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json() == {
        "cells_per_kg": ["Dose (cells/kg) cannot be more than 10,000,000,000"]
    }
