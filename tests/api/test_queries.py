"""/api/v1/queries/ and patients/{id}/queries/: data queries opened, answered and closed."""

import pytest
from rest_framework.test import APIClient

from registry import queries
from registry.models import DataQuery
from tests import factories
from tests.clients import api_client_of
from tests.conftest import user_with_role
from tests.races import patient_deleted_first

pytestmark = pytest.mark.django_db


@pytest.fixture
def query(patient, teammate):
    return factories.DataQueryFactory(patient=patient, raised_by=teammate)


def queries_of(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/queries/"


def test_it_opens_a_query(patient, teammate):
    body = {"field": "infusions[0].cells_per_kg", "question": "Above the ceiling?"}

    response = api_client_of(teammate).post(queries_of(patient), body, format="json")

    assert response.status_code == 201, response.data
    assert response.data["status"] == "open"
    assert response.data["raised_by"] == "teammate"
    assert response.data["subject_id"] == "P001"
    assert DataQuery.objects.get().field == "infusions[0].cells_per_kg"


def test_it_says_which_field_is_wrong(patient, teammate):
    body = {"field": "infusions[0].dose", "question": "?"}

    response = api_client_of(teammate).post(queries_of(patient), body, format="json")

    assert response.status_code == 400
    assert "dose" in response.data["field"][0]


def test_it_refuses_a_question_longer_than_the_limit(patient, teammate):
    body = {"field": "sex", "question": "?" * 1024 * 1024}

    response = api_client_of(teammate).post(queries_of(patient), body, format="json")

    assert response.status_code == 400
    assert response.json()["question"][0].startswith("The question has at most 5,000 characters")
    assert not DataQuery.objects.exists()


def test_it_says_what_is_missing(patient, teammate):
    response = api_client_of(teammate).post(queries_of(patient), {}, format="json")

    assert response.status_code == 400
    assert set(response.data) == {"field", "question"}


def test_it_refuses_a_clinician_to_open(patient):
    clinician = user_with_role("clinician", "clinician", patient.site, at_site=True)
    body = {"field": "sex", "question": "?"}

    response = api_client_of(clinician).post(queries_of(patient), body, format="json")

    assert response.status_code == 403
    assert not DataQuery.objects.exists()


def test_it_lists_the_patients_queries(query, patient, owner):
    response = api_client_of(owner).get(queries_of(patient))

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [query.pk]


def test_it_answers_and_closes(query, owner, teammate):
    answered = api_client_of(owner).post(
        f"/api/v1/queries/{query.pk}/answer/", {"answer": "Checked"}, format="json"
    )
    closed = api_client_of(teammate).post(f"/api/v1/queries/{query.pk}/close/")

    assert (answered.status_code, answered.data["status"]) == (200, "answered")
    assert (closed.status_code, closed.data["status"]) == (200, "closed")
    assert closed.data["answered_by"] == "owner"
    assert closed.data["closed_by"] == "teammate"


def test_it_requires_an_answer(query, owner):
    response = api_client_of(owner).post(f"/api/v1/queries/{query.pk}/answer/", {}, format="json")

    assert response.status_code == 400
    assert "answer" in response.data


def test_it_refuses_to_answer_a_closed_query(query, owner):
    query.status = DataQuery.Status.CLOSED
    query.save()

    response = api_client_of(owner).post(
        f"/api/v1/queries/{query.pk}/answer/", {"answer": "Checked"}, format="json"
    )

    assert response.status_code == 400
    assert "only an open query" in response.data["non_field_errors"][0]


def test_it_refuses_a_monitor_to_answer(query, teammate):
    response = api_client_of(teammate).post(
        f"/api/v1/queries/{query.pk}/answer/", {"answer": "Fine"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize("role", ["outsider", "neighbour"])
def test_a_user_who_does_not_read_the_patient_finds_nothing(request, query, patient, role):
    client = api_client_of(request.getfixturevalue(role))
    body = {"field": "sex", "question": "?", "answer": "!"}

    assert client.get(queries_of(patient)).status_code == 404
    assert client.post(queries_of(patient), body, format="json").status_code == 404
    assert client.get(f"/api/v1/queries/{query.pk}/").status_code == 404
    assert client.post(f"/api/v1/queries/{query.pk}/answer/", body).status_code == 404
    assert client.post(f"/api/v1/queries/{query.pk}/close/").status_code == 404
    assert client.get("/api/v1/queries/").data["results"] == []
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN


def test_it_needs_a_signed_in_user(query):
    assert APIClient().get("/api/v1/queries/").status_code == 401


def test_it_filters_by_site_and_status(patient, teammate, owner):
    pumc = factories.SiteFactory(code="PUMC")
    elsewhere = factories.PatientFactory(site=pumc)
    at_boren = factories.DataQueryFactory(patient=patient, raised_by=teammate)
    factories.DataQueryFactory(patient=elsewhere, raised_by=teammate)
    factories.DataQueryFactory(patient=patient, raised_by=teammate, status="closed")

    response = api_client_of(owner).get("/api/v1/queries/?study=HCD19&site=BOREN&status=open")

    assert [row["id"] for row in response.data["results"]] == [at_boren.pk]


def test_it_refuses_a_site_the_user_does_not_read_naming_those_they_do(patient, neighbour):
    # The neighbour is a clinician at PUMC alone.
    response = api_client_of(neighbour).get("/api/v1/queries/?site=BOREN")

    assert response.status_code == 400
    assert response.data == {"site": ["No site 'BOREN' among yours: PUMC"]}


def test_it_refuses_an_unknown_status(owner):
    response = api_client_of(owner).get("/api/v1/queries/?status=pending")

    assert response.status_code == 400
    assert "status" in response.data


def test_it_lists_in_a_fixed_number_of_queries(patient, teammate, owner, django_assert_num_queries):
    factories.DataQueryFactory.create_batch(5, patient=patient, raised_by=teammate)

    # count, page (patient, site and users joined)
    with django_assert_num_queries(2):
        api_client_of(owner).get("/api/v1/queries/")


@pytest.mark.parametrize(
    ("step", "who", "body"),
    [
        ("query_answer", "owner", {"answer": "ECOG 1 per clinic note"}),
        ("query_close", "teammate", {}),
        ("query_confirm", "teammate", {}),
    ],
)
def test_a_step_on_a_query_whose_patient_went_since_it_was_read_is_a_404_saying_so(
    request, monkeypatch, query, patient, owner, step, who, body
):
    """Another user deletes the patient, its queries with it, after the view read the query:
    the query is not written back, and the answer names the deletion."""
    client = api_client_of(request.getfixturevalue(who))
    patient_deleted_first(monkeypatch, queries, step, patient, owner)
    action = step.removeprefix("query_")

    answer = client.post(f"/api/v1/queries/{query.pk}/{action}/", body, format="json")

    assert answer.status_code == 404
    assert answer.data["detail"].startswith("The patient was deleted by owner at ")
    assert not DataQuery.objects.exists()


def test_a_query_opened_on_a_patient_deleted_since_it_was_read_is_a_404_saying_so(
    monkeypatch, patient, teammate, owner
):
    patient_deleted_first(monkeypatch, queries, "query_open", patient, owner)
    body = {"field": "sex", "question": "Female per the source?"}

    answer = api_client_of(teammate).post(queries_of(patient), body, format="json")

    assert answer.status_code == 404
    assert answer.data["detail"].startswith("The patient was deleted by owner at ")
    assert not DataQuery.objects.exists()
