"""Statistics count the patients the user reads (registry.access.patient_scope): a study's
coordinators and monitors its every patient, a clinician those of their own sites; each
scope is cached apart."""

import pytest
from rest_framework.test import APIClient

from registry import models
from tests.api.conftest import full_course

pytestmark = pytest.mark.usefixtures("published")


@pytest.fixture
def at_pumc(neighbour) -> models.Patient:
    """One patient at PUMC besides the published cohort's 19 at BOREN."""
    return full_course(subject_id="U01", site=models.Site.objects.get(code="PUMC"))


def get(user, endpoint: str) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/studies/HCD19/analytics/{endpoint}/")
    assert response.status_code == 200
    return response.json()


def test_a_monitor_counts_every_site_and_a_clinician_their_own(reader, neighbour, at_pumc):
    assert get(reader, "dataset")["count"] == 20
    assert get(neighbour, "dataset")["count"] == 1
    assert get(reader, "dataset")["count"] == 20


def test_a_clinician_s_tables_count_their_own_site_s_patients(reader, neighbour, at_pumc):
    assert get(reader, "tables/characteristics")["n"] == 20
    assert get(neighbour, "tables/characteristics")["n"] == 1


def test_a_clinician_of_another_study_finds_no_statistics(outsider):
    client = APIClient()
    client.force_authenticate(outsider)

    assert client.get("/api/v1/studies/HCD19/analytics/response/").status_code == 404
