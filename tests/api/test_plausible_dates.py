"""Implausible dates through the API: a 400 naming the field, and nothing written."""

from datetime import UTC, datetime, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from registry import models
from tests import factories
from tests.api.conftest import full_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

URL = "/api/v1/patients/"


def test_it_refuses_a_birth_date_in_year_1(editor_client):
    patient = full_course()

    response = editor_client.patch(
        f"{URL}{patient.pk}/", {"birth_date": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "0001-01-01 would make the patient" in response.json()["birth_date"][0]
    patient.refresh_from_db()
    assert (patient.birth_date, patient.version) == (factories.PatientFactory.birth_date, 1)


def test_it_refuses_an_infusion_in_the_year_3000(editor_client):
    factories.SiteFactory()
    created = editor_client.post(
        URL, {"study": "HCD19", "site": "BOREN", "study_id": "N01"}, format="json"
    )
    assert created.status_code == 201, created.content

    response = editor_client.post(
        f"{URL}{created.json()['id']}/infusions/",
        {"date": "3000-01-01", "weight_kg": 60.0, "cells_per_kg": 240_000},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "Infusion date 3000-01-01 is in the future" in response.json()["date"][0]
    assert not models.Infusion.objects.exists()


def test_it_refuses_an_event_after_tomorrow(editor_client):
    patient = full_course()
    event = patient.events.first()
    after = datetime.now(UTC).date() + timedelta(days=2)

    response = editor_client.patch(
        f"/api/v1/events/{event.pk}/", {"date": after.isoformat()}, format="json"
    )

    assert response.status_code == 400, response.content
    assert f"Event date {after} is in the future" in " ".join(response.json()["date"])
    event.refresh_from_db()
    assert event.date < after


def test_the_schema_gives_each_date_its_range():
    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    infusion, patient = schema["Infusion"]["properties"], schema["Patient"]["properties"]

    assert infusion["date"]["description"].endswith("; from 1900-01-01 to tomorrow (UTC)")
    assert "an age of 0 to 120 years" in patient["birth_date"]["description"]


def test_it_refuses_an_assessment_on_a_day_still_to_come(editor_client):
    today = datetime.now(UTC).date()
    patient = factories.PatientFactory(
        enrollment_date=today - timedelta(days=20), last_contact_date=today
    )
    factories.LymphodepletionFactory(patient=patient, start_date=today - timedelta(days=5))
    factories.InfusionFactory(patient=patient, date=today)

    response = editor_client.post(
        f"{URL}{patient.pk}/response-assessments/", {"day": 30, "status": "nr"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "Day 30 is in the future" in response.json()["day"][0]
    assert not models.ResponseAssessment.objects.exists()
