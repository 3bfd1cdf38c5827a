"""/api/v1/queries/ with the registry's own queries: who opened them, filters by rule and
age, and confirm/ (the value is correct)."""

import pytest

from registry.models import DataQuery
from registry.quality_rules import LOW_DOSE, UNUSUAL_TEMPERATURE
from tests import factories
from tests.clients import api_client_of
from tests.conftest import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def query(patient):
    return factories.registry_query(patient)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.data["results"]]


def test_it_names_the_registry_and_the_rule(query, owner):
    row = api_client_of(owner).get(f"/api/v1/queries/{query.pk}/").data

    assert (row["raised_by"], row["rule"], row["closed_by"]) == ("the registry", LOW_DOSE, None)


def test_it_filters_by_rule(patient, query, teammate, owner):
    hot = factories.registry_query(patient, UNUSUAL_TEMPERATURE)
    asked = factories.DataQueryFactory(patient=patient, raised_by=teammate)
    client = api_client_of(owner)

    assert ids(client.get("/api/v1/queries/?rule=low-dose")) == [query.pk]
    assert ids(client.get("/api/v1/queries/?rule=unusual-temperature")) == [hot.pk]
    assert ids(client.get("/api/v1/queries/?rule=person")) == [asked.pk]


def test_it_filters_by_age(patient, owner):
    factories.registry_query(patient, days_ago=3)
    old = factories.registry_query(patient, days_ago=40)

    response = api_client_of(owner).get("/api/v1/queries/?older_than_days=30")

    assert ids(response) == [old.pk]
    assert response.data["results"][0]["age_days"] == 40


def test_it_filters_the_unresolved(patient, query, owner, teammate):
    settled = factories.registry_query(patient, UNUSUAL_TEMPERATURE)
    api_client_of(teammate).post(f"/api/v1/queries/{settled.pk}/confirm/")

    client = api_client_of(owner)
    assert ids(client.get("/api/v1/queries/?unresolved=true")) == [query.pk]
    assert ids(client.get("/api/v1/queries/?unresolved=false")) == [settled.pk]
    assert ids(client.get("/api/v1/queries/?status=confirmed")) == [settled.pk]


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ("rule=too-hot", "rule"),
        ("older_than_days=-1", "older_than_days"),
        ("older_than_days=soon", "older_than_days"),
        ("unresolved=perhaps", "unresolved"),
    ],
)
def test_it_names_a_filter_it_cannot_use(owner, parameters, field):
    response = api_client_of(owner).get(f"/api/v1/queries/?{parameters}")

    assert response.status_code == 400
    assert field in response.data


def test_a_monitor_confirms_a_value_as_correct(query, teammate):
    response = api_client_of(teammate).post(f"/api/v1/queries/{query.pk}/confirm/")

    assert response.status_code == 200, response.data
    assert (response.data["status"], response.data["closed_by"]) == ("confirmed", "teammate")
    query.refresh_from_db()
    assert query.status == DataQuery.Status.CONFIRMED


def test_a_confirmed_query_is_not_confirmed_or_closed_again(query, teammate):
    client = api_client_of(teammate)
    client.post(f"/api/v1/queries/{query.pk}/confirm/")

    for step in ("confirm", "close"):
        response = client.post(f"/api/v1/queries/{query.pk}/{step}/")
        assert response.status_code == 400
        assert "confirmed as correct already" in str(response.data)


def test_the_sites_clinician_may_answer_but_not_confirm(query, patient):
    clinician = user_with_role("clinician", "clinician", patient.site, at_site=True)
    client = api_client_of(clinician)

    assert client.post(f"/api/v1/queries/{query.pk}/confirm/").status_code == 403
    answered = client.post(f"/api/v1/queries/{query.pk}/answer/", {"answer": "As given"})
    assert answered.status_code == 200
    query.refresh_from_db()
    assert query.status == DataQuery.Status.ANSWERED


@pytest.mark.parametrize("role", ["outsider", "neighbour"])
def test_a_user_who_does_not_read_the_patient_cannot_confirm(request, query, role):
    client = api_client_of(request.getfixturevalue(role))

    assert client.post(f"/api/v1/queries/{query.pk}/confirm/").status_code == 404
    assert ids(client.get("/api/v1/queries/?rule=low-dose")) == []
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN
