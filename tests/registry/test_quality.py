"""registry.quality: the registry opens a query when a write or an import gives a value its
data-quality rules find, and closes it once the value is corrected."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry import models, services
from registry.interchange.importer import cohort_import
from registry.models import DataQuery
from registry.models.queries import CORRECTED
from registry.quality_rules import (
    GRADE_DISCREPANCY,
    LOW_DOSE,
    MISSING_AT_TIMEPOINT,
    UNUSUAL_TEMPERATURE,
)
from registry.queries import query_answer, query_confirm
from tests import factories
from tests.registry.test_interchange import cohort, patient

pytestmark = pytest.mark.django_db

# The study's ceiling without a prior transplant is 5,000,000 cells/kg: a tenth is 500,000.
USUAL_DOSE, LOW = 1_000_000, 40_000


def standing(rule: str, **filters) -> list[DataQuery]:
    return list(DataQuery.objects.filter(rule=rule, **filters).order_by("pk"))


@pytest.fixture
def infusion(owner):
    """A patient infused with a usual dose, saved as a clinician saves it."""
    record = factories.InfusionFactory.build(
        patient=factories.PatientFactory(), cells_per_kg=USUAL_DOSE
    )
    services.record_save(record=record, user=owner)
    return record


def dose_changed(infusion, owner, dose: int) -> None:
    services.record_update(
        record=infusion, values={"cells_per_kg": dose}, user=owner, reason="source checked"
    )


def test_it_opens_a_query_of_its_own_on_an_unusual_value(infusion, owner):
    assert standing(LOW_DOSE) == []

    dose_changed(infusion, owner, LOW)

    [query] = standing(LOW_DOSE)
    assert (query.patient_id, query.field, query.status) == (
        infusion.patient_id,
        "infusions[0].cells_per_kg",
        DataQuery.Status.OPEN,
    )
    assert query.raised_by is None and query.raiser == "the registry"
    assert query.question.startswith("Dose 40,000 cells/kg is under a tenth")


def test_it_opens_the_query_once_while_the_value_stays(infusion, owner):
    dose_changed(infusion, owner, LOW)
    services.record_update(
        record=infusion.patient, values={"sex": "male"}, user=owner, reason="typo"
    )

    assert len(standing(LOW_DOSE)) == 1


def test_it_closes_its_query_once_the_value_is_corrected(infusion, owner):
    dose_changed(infusion, owner, LOW)

    dose_changed(infusion, owner, USUAL_DOSE)

    [query] = standing(LOW_DOSE)
    assert query.status == DataQuery.Status.CLOSED
    assert (query.closed_by, query.close_reason) == (None, CORRECTED)
    assert query.closer == "the registry"


def test_it_closes_an_answered_query_once_the_value_is_corrected(infusion, owner):
    dose_changed(infusion, owner, LOW)
    query_answer(query=standing(LOW_DOSE)[0], answer="Will check the source", user=owner)

    dose_changed(infusion, owner, USUAL_DOSE)

    assert [q.status for q in standing(LOW_DOSE)] == [DataQuery.Status.CLOSED]


def test_it_asks_again_about_a_new_value(infusion, owner):
    dose_changed(infusion, owner, LOW)

    dose_changed(infusion, owner, LOW // 2)

    assert [q.status for q in standing(LOW_DOSE)] == [
        DataQuery.Status.CLOSED,
        DataQuery.Status.OPEN,
    ]


def test_a_value_confirmed_as_correct_is_not_asked_about_again(infusion, owner, teammate):
    dose_changed(infusion, owner, LOW)
    query_confirm(query=standing(LOW_DOSE)[0], user=teammate)

    services.record_update(
        record=infusion, values={"lot": "L-18"}, user=owner, reason="lot corrected"
    )

    [query] = standing(LOW_DOSE)
    assert (query.status, query.closed_by) == (DataQuery.Status.CONFIRMED, teammate)


def test_a_confirmed_query_stays_confirmed_when_the_value_changes_back(infusion, owner, teammate):
    dose_changed(infusion, owner, LOW)
    query_confirm(query=standing(LOW_DOSE)[0], user=teammate)

    dose_changed(infusion, owner, USUAL_DOSE)

    assert [q.status for q in standing(LOW_DOSE)] == [DataQuery.Status.CONFIRMED]


def test_it_leaves_a_persons_queries_alone(infusion, owner, teammate):
    asked = factories.DataQueryFactory(patient=infusion.patient, raised_by=teammate)

    dose_changed(infusion, owner, LOW)
    dose_changed(infusion, owner, USUAL_DOSE)

    asked.refresh_from_db()
    assert (asked.status, asked.rule) == (DataQuery.Status.OPEN, "")


def test_it_closes_a_query_when_the_record_holding_the_value_is_deleted(owner):
    day = factories.DailyAssessmentFactory.build(
        patient=factories.InfusionFactory().patient, day=2, temperature_c=42.5
    )
    services.record_save(record=day, user=owner)
    [query] = standing(UNUSUAL_TEMPERATURE)
    assert query.field == "daily_assessments[0].temperature_c"

    services.record_delete(record=day, user=owner, reason="entered for the wrong patient")

    query.refresh_from_db()
    assert query.status == DataQuery.Status.CLOSED


def test_a_write_reads_its_course_once_for_its_checks_and_its_queries(owner):
    # The course read to validate the record serves the data-quality rules too, with the
    # written section read again: a section the write leaves is read once, and the rules
    # see the record as saved, in its place in the course.
    patient = factories.InfusionFactory().patient
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=38.6)
    factories.DailyAssessmentFactory(patient=patient, day=5, temperature_c=37.0)
    day = factories.DailyAssessmentFactory.build(patient=patient, day=3, temperature_c=42.5)
    with CaptureQueriesContext(connection) as queries:
        services.record_save(record=day, user=owner)
    genetics = [query for query in queries if 'FROM "registry_genetics"' in query["sql"]]
    assert len(genetics) == 1
    [query] = standing(UNUSUAL_TEMPERATURE)
    assert query.field == "daily_assessments[1].temperature_c"

    day.temperature_c = 38.0
    services.record_save(record=day, user=owner, reason="Typing error")
    query.refresh_from_db()
    assert query.status == DataQuery.Status.CLOSED


def test_it_asks_about_a_recorded_grade_the_assessments_do_not_give(owner):
    infused = factories.InfusionFactory()
    factories.DailyAssessmentFactory(patient=infused.patient, day=2, temperature_c=38.6)
    record = models.ToxicityRecord(patient=infused.patient, crs_max_grade=2, icans_max_grade=0)

    services.record_save(record=record, user=owner)

    [query] = standing(GRADE_DISCREPANCY)
    assert query.field == "toxicities.crs_max_grade"
    assert query.question == "CRS: recorded grade 2, computed grade 1 (grade 1: fever only)"


def infused_days_ago(days: int) -> models.Infusion:
    """A patient infused `days` ago, followed to today, with nothing recorded after, in a
    study with no clinical cut-off (a timepoint whose window opens after it is not
    applicable)."""
    infused = timezone.localdate() - timedelta(days=days)
    patient = factories.PatientFactory(
        enrollment_date=infused - timedelta(days=20), last_contact_date=timezone.localdate()
    )
    models.Study.objects.filter(pk=patient.study_id).update(data_cutoff=None)
    factories.LymphodepletionFactory(patient=patient, start_date=infused - timedelta(days=5))
    return factories.InfusionFactory(patient=patient, date=infused, cells_per_kg=USUAL_DOSE)


def test_it_asks_for_a_section_missing_once_its_window_has_closed(owner):
    # Infused 10 days ago: day 7's window (days 6 to 8) closed two days ago with its CAR-T
    # count but without its daily assessment; day 14's is still to come. Screening's window
    # (days -42 to 0) closed without the eligibility.
    infusion = infused_days_ago(10)
    factories.CarTCountFactory(patient=infusion.patient, day=7)
    services.record_update(record=infusion, values={"lot": "L-2"}, user=owner, reason="lot")

    queries = standing(MISSING_AT_TIMEPOINT, patient=infusion.patient)
    assert sorted(q.field for q in queries) == ["daily_assessments", "eligibility"]
    [query] = [q for q in queries if q.field == "daily_assessments"]
    closed = infusion.date + timedelta(days=8)
    assert query.field == "daily_assessments"
    assert query.question == (
        f"Day 7: no daily assessment recorded in its window, which closed on {closed}"
    )

    late = factories.DailyAssessmentFactory.build(patient=infusion.patient, day=8)
    services.record_save(record=late, user=owner)

    query.refresh_from_db()
    assert (query.status, query.close_reason) == (DataQuery.Status.CLOSED, CORRECTED)


def test_the_daily_command_asks_about_windows_closed_since_the_last_write(owner):
    infusion = infused_days_ago(7)  # day 7's window closes tomorrow
    services.record_update(record=infusion, values={"lot": "L-2"}, user=owner, reason="lot")

    assert {q.field for q in standing(MISSING_AT_TIMEPOINT)} == {"eligibility"}

    call_command("reconcile_queries", on=str(timezone.localdate() + timedelta(days=2)))

    assert {q.field for q in standing(MISSING_AT_TIMEPOINT)} == {
        "eligibility",
        "daily_assessments",
        "car_t_counts",
    }


def test_the_daily_command_leaves_a_locked_study_alone(owner):
    infusion = infused_days_ago(7)
    services.record_update(record=infusion, values={"lot": "L-2"}, user=owner, reason="lot")
    services.study_lock(study=infusion.patient.study)

    call_command("reconcile_queries", on=str(timezone.localdate() + timedelta(days=2)))

    assert {q.field for q in standing(MISSING_AT_TIMEPOINT)} == {"eligibility"}


def test_it_asks_nothing_of_a_timepoint_past_the_clinical_cut_off(owner):
    infusion = infused_days_ago(10)
    study = infusion.patient.study
    study.data_cutoff = infusion.date + timedelta(days=3)  # before day 7's window opens
    study.save()
    services.record_update(record=infusion, values={"lot": "L-2"}, user=owner, reason="lot")

    assert {q.field for q in standing(MISSING_AT_TIMEPOINT)} == {"eligibility"}


def test_an_import_opens_and_closes_the_queries_of_its_patients():
    # The interchange's patient had an allogeneic transplant: a tenth of the ceiling is
    # 50,000 cells/kg.
    low = patient("P01", infusions=[_infusion(LOW)])
    cohort_import(data=cohort(low, patient("P02")))
    [query] = standing(LOW_DOSE)
    assert query.patient.subject_id == "P01"

    cohort_import(data=cohort(patient("P01", infusions=[_infusion(240_000)]), patient("P02")))

    query.refresh_from_db()
    assert (query.status, query.close_reason) == (DataQuery.Status.CLOSED, CORRECTED)
    assert standing(LOW_DOSE, status=DataQuery.Status.OPEN) == []


def test_an_import_asks_for_the_sections_missing_at_closed_windows(
    django_capture_on_commit_callbacks,
):
    # The interchange's patient was infused on 2020-01-06 and has CAR-T counts on days 7
    # and 28, none in the window of day 14 (days 12 to 16).
    with django_capture_on_commit_callbacks(execute=True):
        cohort_import(data=cohort(patient("P01")))

    asked = {(q.field, q.question.partition(":")[0]) for q in standing(MISSING_AT_TIMEPOINT)}
    assert ("car_t_counts", "Day 14") in asked
    assert ("car_t_counts", "Day 7") not in asked
    assert ("car_t_counts", "Day 28") not in asked
    assert all(q.patient.subject_id == "P01" for q in standing(MISSING_AT_TIMEPOINT))


def _infusion(dose: int) -> dict:
    return {
        "date": "2020-01-06",
        "product": "humanized_cd19",
        "weight_kg": 61.5,
        "cells_per_kg": dose,
        "lot": "L-17",
    }
