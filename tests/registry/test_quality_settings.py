"""A change to the study's settings the data-quality rules read reconciles the study's own
queries at once, with no write to any patient: its dose ceilings and its timepoints in the
admin, its clinical cut-off."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from registry.models import DataQuery, Role
from registry.models.queries import CORRECTED
from registry.quality_rules import COURSE_RULE, MISSING_AT_TIMEPOINT
from tests import factories
from tests.conftest import user_with_role
from tests.forms import form_fields
from tests.registry.test_quality import infused_days_ago, standing

pytestmark = pytest.mark.django_db


def change_page(study) -> str:
    return reverse("admin:registry_study_change", args=[study.pk])


def admin_page(client, study) -> dict:
    """The study's admin page as shown to one of its administrators, its fields filled."""
    client.force_login(user_with_role("chief", Role.ADMIN, study.sites.get()))
    return form_fields(client.get(change_page(study)).content.decode())


def saved(client, study, data: dict) -> None:
    response = client.post(change_page(study), data)
    assert response.status_code == 302, response.content.decode()


def test_lowering_a_dose_ceiling_asks_about_a_dose_above_it(client):
    infusion = infused_days_ago(10)  # 1,000,000 cells/kg, under the ceiling of 5,000,000
    study = infusion.patient.study
    data = admin_page(client, study)

    saved(client, study, data | {"dose_ceiling_per_kg": "900000"})

    [query] = standing(COURSE_RULE)
    assert (query.patient_id, query.field) == (infusion.patient_id, "infusions[0].cells_per_kg")
    assert "above the protocol's ceiling of 900,000 cells/kg" in query.question

    saved(client, study, data | {"dose_ceiling_per_kg": "5000000"})

    query.refresh_from_db()
    assert (query.status, query.close_reason) == (DataQuery.Status.CLOSED, CORRECTED)


def test_moving_a_timepoint_opens_and_closes_the_queries_of_its_window(client):
    infusion = infused_days_ago(10)
    factories.DailyAssessmentFactory(patient=infusion.patient, day=7)
    factories.CarTCountFactory(patient=infusion.patient, day=7)
    study = infusion.patient.study
    data = admin_page(client, study)
    [day_7] = [key[: -len("name")] for key, value in data.items() if value == "Day 7"]
    assert standing(MISSING_AT_TIMEPOINT) == []

    # Days 3 to 5, closed five days ago with nothing recorded in it.
    saved(client, study, data | {f"{day_7}target_day": "4"})

    moved = {(q.field, q.question.partition(":")[0]) for q in standing(MISSING_AT_TIMEPOINT)}
    assert moved == {
        ("eligibility", "Screening"),
        ("daily_assessments", "Day 7"),
        ("car_t_counts", "Day 7"),
    }

    saved(client, study, data)

    still = standing(MISSING_AT_TIMEPOINT, status=DataQuery.Status.OPEN)
    assert [q.field for q in still] == ["eligibility"]


def test_an_earlier_clinical_cut_off_closes_the_queries_of_timepoints_past_it():
    infusion = infused_days_ago(10)
    study = infusion.patient.study
    call_command("reconcile_queries", study.code)
    asked = {q.field for q in standing(MISSING_AT_TIMEPOINT)}
    assert asked == {"eligibility", "daily_assessments", "car_t_counts"}

    study.data_cutoff = infusion.date + timedelta(days=3)  # before day 7's window opens
    study.save()

    still = standing(MISSING_AT_TIMEPOINT, status=DataQuery.Status.OPEN)
    assert [q.field for q in still] == ["eligibility"]
