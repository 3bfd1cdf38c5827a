"""Changes through the API say why (X-Change-Reason); patients/{id}/history/ reads the trail."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.test import APIClient

from registry import models, services
from tests import factories
from tests.api.conftest import full_course
from tests.clients import api_client_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


@pytest.fixture
def reasonless_client(editor) -> APIClient:
    """An editor who gives no X-Change-Reason."""
    return api_client_of(editor)


def history_url(patient_pk: int) -> str:
    return f"/api/v1/patients/{patient_pk}/history/"


REFUSED = {"X-Change-Reason": [services.REASON_REQUIRED]}


def test_it_requires_a_reason_to_change_a_record_naming_the_header(reasonless_client, infusion):
    url = f"/api/v1/infusions/{infusion.pk}/"
    whole = reasonless_client.get(url).json() | {"weight_kg": 61.0}
    del whole["id"], whole["patient"]

    patched = reasonless_client.patch(url, {"weight_kg": 61.0}, format="json")
    put = reasonless_client.put(url, whole, format="json")

    assert (patched.status_code, patched.json()) == (400, REFUSED)
    assert (put.status_code, put.json()) == (400, REFUSED)
    infusion.refresh_from_db()
    assert infusion.weight_kg == 60.0


def test_it_refuses_a_reason_holding_nul_naming_the_header(reasonless_client, infusion):
    url = f"/api/v1/infusions/{infusion.pk}/"

    response = reasonless_client.patch(
        url, {"weight_kg": 61.0}, format="json", HTTP_X_CHANGE_REASON="Re-weighed%00"
    )

    assert response.status_code == 400
    assert response.json() == {"X-Change-Reason": [services.REASON_WITH_NUL]}
    infusion.refresh_from_db()
    assert infusion.weight_kg == 60.0


def test_it_requires_a_reason_to_change_a_patient_or_a_one_to_one_section(
    reasonless_client, infusion
):
    patient = infusion.patient

    patient_change = reasonless_client.patch(
        f"/api/v1/patients/{patient.pk}/", {"sex": "male"}, format="json"
    )
    section_change = reasonless_client.patch(
        f"/api/v1/patients/{patient.pk}/lymphodepletion/", {"days": 4}, format="json"
    )

    assert (patient_change.status_code, patient_change.json()) == (400, REFUSED)
    assert (section_change.status_code, section_change.json()) == (400, REFUSED)


def test_it_requires_a_reason_to_delete(reasonless_client, infusion):
    count = factories.CarTCountFactory(patient=infusion.patient)

    response = reasonless_client.delete(f"/api/v1/car-t-counts/{count.pk}/")
    patient = reasonless_client.delete(f"/api/v1/patients/{infusion.patient.pk}/")

    assert (response.status_code, response.json()) == (400, REFUSED)
    assert (patient.status_code, patient.json()) == (400, REFUSED)
    assert models.CarTCount.objects.filter(pk=count.pk).exists()


def test_it_creates_a_record_without_a_reason(reasonless_client, infusion):
    response = reasonless_client.post(
        f"/api/v1/patients/{infusion.patient.pk}/car-t-counts/",
        {"day": 7, "cells_per_ul": 3.5},
        format="json",
    )

    assert response.status_code == 201, response.content


def test_it_records_the_token_s_user_and_the_reason(editor, infusion):
    client = APIClient()
    _instance, token = AuthToken.objects.create(user=editor)
    # Percent-encoded UTF-8: an HTTP header carries ASCII.
    reason = "Gewicht nachgemessen (61%20kg) %E2%80%93 Waage geeicht"
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_CHANGE_REASON=reason)

    response = client.patch(f"/api/v1/infusions/{infusion.pk}/", {"weight_kg": 61.0}, format="json")

    assert response.status_code == 200, response.content
    latest = infusion.history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        editor,
        "Gewicht nachgemessen (61 kg) – Waage geeicht",
    )


def test_it_lists_a_patient_s_history_newest_first(editor_client, reader_client, infusion):
    editor_client.patch(f"/api/v1/infusions/{infusion.pk}/", {"weight_kg": 61.0}, format="json")

    body = reader_client.get(history_url(infusion.patient.pk)).json()

    assert body["count"] == 4  # the patient, lymphodepletion and infusion created; one change
    newest = body["results"][0]
    assert newest.pop("date")
    assert newest == {
        "model": "infusion",
        "section": "infusions",
        "record_id": infusion.pk,
        "action": "changed",
        "user": "editor",
        "reason": "Corrected from the source document",
        "changes": [{"field": "weight_kg", "old": 60.0, "new": 61.0}],
    }
    created = body["results"][-1]
    assert (created["model"], created["action"], created["reason"]) == ("patient", "created", None)
    assert {"field": "study_id", "old": None, "new": infusion.patient.subject_id} in created[
        "changes"
    ]


def test_it_pages_the_history(reader_client):
    patient = full_course()

    body = reader_client.get(history_url(patient.pk), {"page_size": 5}).json()

    assert body["count"] == 16  # one row for each record of the course
    assert len(body["results"]) == 5
    assert "page=2" in body["next"]


def test_it_keeps_the_history_of_a_deleted_patient(editor_client, reader_client, infusion):
    patient_pk = infusion.patient.pk

    deleted = editor_client.delete(f"/api/v1/patients/{patient_pk}/")
    body = reader_client.get(history_url(patient_pk)).json()

    assert deleted.status_code == 204
    deletions = [entry for entry in body["results"] if entry["action"] == "deleted"]
    assert {(entry["model"], entry["reason"]) for entry in deletions} == {
        ("patient", "Corrected from the source document"),
        ("lymphodepletion", "Corrected from the source document"),
        ("infusion", "Corrected from the source document"),
    }


def test_it_answers_404_for_a_patient_that_never_was(reader_client):
    assert reader_client.get(history_url(999)).status_code == 404


def test_it_offers_no_way_to_change_the_history(editor_client, infusion):
    url = history_url(infusion.patient.pk)

    for method in ("post", "put", "patch", "delete"):
        assert getattr(editor_client, method)(url, {}, format="json").status_code == 405


def test_it_asks_for_a_sign_in_to_read_the_history(anonymous_client, infusion):
    assert anonymous_client.get(history_url(infusion.patient.pk)).status_code == 401


def test_it_documents_the_reason_and_the_version_headers():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    record = paths["/api/v1/infusions/{id}/"]

    for method in ("put", "patch", "delete"):
        headers = {p["name"] for p in record[method]["parameters"] if p["in"] == "header"}
        assert headers == {"X-Change-Reason", "If-Match"}
    assert "ETag" in record["get"]["responses"]["200"]["headers"]
    assert "/api/v1/patients/{patient_pk}/history/" in paths
