"""Each process's lab values (analytics.process_labs): read once for the lab series of a
study, kept while the study's lab results do not change, and brought up to date once they
do, whatever else is written: the values of the patients whose lab values changed read
again, all of them after a cohort import or too many changes."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from analytics import process_labs
from analytics.process_kept import ProcessKept
from registry import models
from registry.services import record_delete, record_save
from tests import factories


@pytest.fixture(autouse=True)
def kept(monkeypatch) -> ProcessKept:
    """This test's own values kept, none from another test."""
    values = ProcessKept(process_labs.MAX_KEPT)
    monkeypatch.setattr(process_labs, "process_lab_values", values)
    return values


@pytest.fixture
def cohort(lab_patient) -> list[models.Patient]:
    return [
        lab_patient("K01", [(1, "il6", 100.0, "pg/mL"), (7, "anc", 0.5, "10^9/L")]),
        lab_patient("K02", [(1, "il6", 40.0, "pg/mL")], sex="male"),
        lab_patient("K03", [(1, "il6", 10.0, "pg/mL")]),
    ]


def other_study_value() -> models.LabResult:
    """A lab value of a patient of another study, enrolled after the cohort."""
    site = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"))
    patient = factories.PatientFactory(site=site)
    return factories.LabResultFactory(
        patient=patient, analyte="il6", value=1.0, unit="pg/mL", specimen="pb", day=1
    )


@pytest.fixture
def written_long_ago(cohort) -> None:
    """The cohort's lab values dated an hour back in their history, as values written well
    before the latest change a process saw (here another study's value): outside its look
    back."""
    models.LabResult.history.update(history_date=F("history_date") - timedelta(hours=1))
    other_study_value()


@pytest.fixture
def reads(monkeypatch) -> list:
    """The patients of each read of lab values: a range of ids, or a list."""
    patients = []
    read = process_labs.lab_rows

    def lab_rows(patient_ids, *args):
        patients.append(patient_ids if isinstance(patient_ids, range) else list(patient_ids))
        return read(patient_ids, *args)

    monkeypatch.setattr(process_labs, "lab_rows", lab_rows)
    return patients


def transcribed_again(patient: models.Patient, value: float) -> None:
    record = models.LabResult.objects.get(patient=patient, analyte="il6")
    record.value = value
    record_save(record=record, user=None, reason="transcription error")


def il6_day_1(analytics, **params) -> tuple[int, float]:
    response = analytics("biomarkers/series", analyte="il6", **params)
    assert response.status_code == 200, response.content
    day = next(day for day in response.json()["days"] if day["day"] == 1)
    return day["n"], day["median"]


def kept_rows(kept: ProcessKept, study: models.Study):
    return kept.get((study.pk, "il6", "pb")).rows


def test_a_write_to_a_patient_s_own_row_leaves_the_values_kept(analytics, cohort, kept):
    assert il6_day_1(analytics) == (3, 40.0)
    rows = kept_rows(kept, cohort[0].study)
    patient = cohort[2]
    patient.sex = "male"
    record_save(record=patient, user=None, reason="data entry error")
    # The series is computed again (the patient is now a man), from the same values.
    assert il6_day_1(analytics, sex="male") == (2, 25.0)
    assert kept_rows(kept, cohort[0].study) is rows


def test_a_lab_value_written_is_read_again(analytics, cohort, kept):
    assert il6_day_1(analytics) == (3, 40.0)
    value = models.LabResult.objects.get(patient=cohort[1], analyte="il6")
    value.value = 60.0
    record_save(record=value, user=None, reason="transcription error")
    assert il6_day_1(analytics) == (3, 60.0)


def test_a_lab_value_added_or_deleted_is_read_again(analytics, cohort):
    assert il6_day_1(analytics) == (3, 40.0)
    factories.LabResultFactory(
        patient=cohort[1], day=2, analyte="il6", value=5.0, unit="pg/mL", specimen="pb"
    )
    record_delete(
        record=models.LabResult.objects.get(patient=cohort[0], analyte="il6"),
        user=None,
        reason="entered in the wrong patient",
    )
    assert il6_day_1(analytics) == (2, 25.0)


def test_only_the_patients_whose_values_changed_are_read_again(
    analytics, cohort, written_long_ago, reads
):
    assert il6_day_1(analytics) == (3, 40.0)
    transcribed_again(cohort[1], 60.0)
    assert il6_day_1(analytics) == (3, 60.0)
    assert reads == [range(cohort[0].pk, cohort[2].pk + 1), [cohort[1].pk]]


def test_a_value_moved_to_another_patient_is_read_again_for_both(
    analytics, cohort, written_long_ago, reads
):
    """Its new history row names only the patient it went to."""
    assert il6_day_1(analytics) == (3, 40.0)
    record = models.LabResult.objects.get(patient=cohort[2], analyte="il6")
    record.patient, record.day = cohort[1], 2
    record_save(record=record, user=None, reason="entered in the wrong patient")
    assert il6_day_1(analytics) == (2, 70.0)
    assert reads[1:] == [[cohort[1].pk, cohort[2].pk]]


def test_a_write_dated_before_the_latest_seen_is_found_within_the_look_back(
    analytics, cohort, written_long_ago, reads, kept
):
    """A transaction that wrote before the latest change the process saw, and committed
    after it."""
    assert il6_day_1(analytics) == (3, 40.0)
    seen = kept.get((cohort[0].study.pk, "il6", "pb")).seen
    transcribed_again(cohort[1], 60.0)
    models.LabResult.history.filter(patient_id=cohort[1].pk, history_type="~").update(
        history_date=seen - process_labs.LOOK_BACK + timedelta(seconds=5)
    )
    assert il6_day_1(analytics) == (3, 60.0)
    assert reads[1:] == [[cohort[1].pk]]


def test_a_lab_value_written_in_another_study_reads_none_of_these_values(
    analytics, cohort, written_long_ago, reads, kept
):
    """A section's history names no study (registry.data_version): a lab value of another
    study's patient moves this study's version, and its patient lies outside the ids
    kept."""
    assert il6_day_1(analytics) == (3, 40.0)
    rows = kept_rows(kept, cohort[0].study)
    other_study_value()
    assert il6_day_1(analytics) == (3, 40.0)
    assert len(reads) == 1
    assert kept_rows(kept, cohort[0].study) is rows


def test_after_a_cohort_import_every_value_is_read_again(
    analytics, cohort, written_long_ago, reads
):
    """An import dates its history rows when it starts, before the look back of a
    process that looked while it ran."""
    assert il6_day_1(analytics) == (3, 40.0)
    transcribed_again(cohort[1], 60.0)
    models.LabResult.history.filter(patient_id=cohort[1].pk).update(
        history_date=F("history_date") - timedelta(hours=1)
    )
    process_labs.lab_values_read_after_import(sender=models.Study, study=cohort[0].study)
    assert il6_day_1(analytics) == (3, 60.0)
    assert reads == [range(cohort[0].pk, cohort[2].pk + 1)] * 2


def test_more_changes_than_are_worth_reading_one_by_one_read_all_again(
    analytics, cohort, written_long_ago, reads, monkeypatch
):
    monkeypatch.setattr(process_labs, "REREAD_OVER", 1)
    assert il6_day_1(analytics) == (3, 40.0)
    transcribed_again(cohort[1], 60.0)
    transcribed_again(cohort[2], 70.0)
    assert il6_day_1(analytics) == (3, 70.0)
    assert reads == [range(cohort[0].pk, cohort[2].pk + 1)] * 2


def test_a_later_patient_s_values_widen_the_range_kept(analytics, cohort, lab_patient, kept):
    # The men only, then everyone: the second request's patients lie outside the range
    # of the first's (K02 alone), which is read again over both.
    assert il6_day_1(analytics, sex="male") == (1, 40.0)
    patients = kept.get((cohort[0].study.pk, "il6", "pb")).patient_ids
    assert list(patients) == [cohort[1].pk]
    assert il6_day_1(analytics) == (3, 40.0)
    patients = kept.get((cohort[0].study.pk, "il6", "pb")).patient_ids
    assert (patients.start, patients.stop) == (cohort[0].pk, cohort[2].pk + 1)


def test_as_recorded_on_a_past_day_nothing_is_kept(analytics, cohort, kept):
    today = timezone.localdate().isoformat()
    assert il6_day_1(analytics, as_of=today) == (3, 40.0)
    assert kept.keys() == []


def test_the_old_values_are_let_go_before_the_new_ones_are_read(
    analytics, cohort, kept, monkeypatch
):
    """A process holds one copy of a series' values at a time, not two while it reads
    them all again."""
    assert il6_day_1(analytics, sex="male") == (1, 40.0)
    held_while_reading = []
    read = process_labs.lab_rows

    def lab_rows(*args):
        held_while_reading.append(kept.get((cohort[0].study.pk, "il6", "pb")))
        return read(*args)

    monkeypatch.setattr(process_labs, "lab_rows", lab_rows)
    assert il6_day_1(analytics) == (3, 40.0)
    assert held_while_reading == [None]
