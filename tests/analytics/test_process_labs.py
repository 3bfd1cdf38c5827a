"""Each process's lab values (analytics.process_labs): read once for the lab series of a
study, kept while the study's lab results do not change, and read again once they do,
whatever else is written."""

import pytest
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


def test_a_lab_value_written_in_another_study_is_read_again(analytics, cohort, kept):
    """A section's history names no study (registry.data_version): a lab value of another
    study's patient, who may lie in the range of ids read, moves this study's version."""
    assert il6_day_1(analytics) == (3, 40.0)
    rows = kept_rows(kept, cohort[0].study)
    factories.LabResultFactory(analyte="il6", value=1.0, unit="pg/mL", specimen="pb", day=1)
    assert il6_day_1(analytics) == (3, 40.0)
    assert kept_rows(kept, cohort[0].study) is not rows


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
    """A process holds one copy of a series' values at a time, not two while it reads."""
    assert il6_day_1(analytics) == (3, 40.0)
    held_while_reading = []
    read = process_labs.lab_rows

    def lab_rows(*args):
        held_while_reading.append(kept.get((cohort[0].study.pk, "il6", "pb")))
        return read(*args)

    monkeypatch.setattr(process_labs, "lab_rows", lab_rows)
    value = models.LabResult.objects.get(patient=cohort[1], analyte="il6")
    value.value = 60.0
    record_save(record=value, user=None, reason="transcription error")
    assert il6_day_1(analytics) == (3, 60.0)
    assert held_while_reading == [None]
