"""The analysis rows kept between requests (analytics.models.AnalysisRow): served only while
their patient is unchanged, computed again for the patients changed since, whoever changed
them and however."""

from datetime import date
from unittest import mock

import pytest

from analytics.dataset import analysis_rows, stored
from analytics.models import AnalysisRow
from registry import models
from registry.interchange.importer import cohort_import
from registry.services import record_delete, record_save

pytestmark = pytest.mark.usefixtures("published")


def rows() -> list[dict]:
    return analysis_rows(models.Patient.objects.order_by("subject_id"))


def row(study_id: str) -> dict:
    return next(found for found in rows() if found["study_id"] == study_id)


def stamps() -> dict[int, object]:
    return dict(AnalysisRow.objects.values_list("patient_id", "stamp"))


def test_a_kept_row_is_the_row_computed_from_the_records():
    computed = rows()
    assert AnalysisRow.objects.count() == 19
    kept = rows()
    assert kept == computed
    assert [list(map(type, found.values())) for found in kept] == [
        list(map(type, found.values())) for found in computed
    ]
    # At a cut-off the rows are always computed, here from the audit trail of today's data.
    as_of_today = analysis_rows(models.Patient.objects.order_by("subject_id"), as_of=date.today())
    assert kept == as_of_today


def test_only_the_row_of_the_changed_patient_is_computed_again():
    assert row("P01")["d30_response"] == "nr"
    before = stamps()
    assessment = models.ResponseAssessment.objects.get(patient__subject_id="P01")
    assessment.status, assessment.mrd, assessment.mrd_level = "cr", "negative", None
    assessment.bm_blast_pct = 1.0
    record_save(record=assessment, user=None, reason="monitoring visit")

    assert row("P01")["d30_response"] == "cr"
    after = stamps()
    p01 = models.Patient.objects.get(subject_id="P01").pk
    assert after[p01] != before[p01]
    assert {pk: stamp for pk, stamp in after.items() if pk != p01} == {
        pk: stamp for pk, stamp in before.items() if pk != p01
    }


def test_a_section_saved_or_deleted_without_the_services_still_counts():
    assert row("P01")["death"] is True
    models.FollowUpEvent.objects.get(patient__subject_id="P01", kind="death").delete()
    assert row("P01")["death"] is False
    event = models.FollowUpEvent.objects.filter(patient__subject_id="P02").first()
    event.date = event.date.replace(day=1)
    event.save()
    assert rows() == analysis_rows(
        models.Patient.objects.order_by("subject_id"), as_of=date.today()
    )


def test_a_renamed_site_shows_in_the_kept_rows():
    rows()
    site = models.Patient.objects.get(subject_id="P01").site
    site.code = "RENAMED"
    site.save()
    assert row("P01")["site"] == "RENAMED"


def test_rows_computed_by_another_version_of_the_rules_are_not_served():
    computed = rows()
    AnalysisRow.objects.update(code="older", values="[]")
    assert rows() == computed
    assert set(AnalysisRow.objects.values_list("code", flat=True)) == {stored.ROW_CODE}


def test_a_deleted_patient_takes_its_row():
    rows()
    patient = models.Patient.objects.get(subject_id="P19")
    record_delete(record=patient, user=None, reason="withdrew consent")
    assert AnalysisRow.objects.count() == 18
    assert len(rows()) == 18


def test_a_patient_deleted_while_the_rows_are_computed_is_not_kept():
    computed_rows = stored.computed_rows

    def computed_then_deleted(patients, *args, **kwargs):
        found = computed_rows(patients, *args, **kwargs)
        models.Patient.objects.get(subject_id="P19").delete()
        return found

    with mock.patch.object(stored, "computed_rows", computed_then_deleted):
        assert len(rows()) == 19
    assert AnalysisRow.objects.count() == 18
    assert len(rows()) == 18


def test_a_change_made_while_the_rows_are_computed_is_not_missed():
    # The change lands after the stamps were read and before the records are: the row is
    # computed from the new records but kept under the old stamp, so it is computed again.
    computed_rows = stored.computed_rows

    def changed_then_computed(patients, *args, **kwargs):
        assessment = models.ResponseAssessment.objects.get(patient__subject_id="P01")
        assessment.status, assessment.mrd, assessment.mrd_level = "cr", "negative", None
        assessment.bm_blast_pct = 1.0
        record_save(record=assessment, user=None, reason="monitoring visit")
        return computed_rows(patients, *args, **kwargs)

    with mock.patch.object(stored, "computed_rows", changed_then_computed):
        assert row("P01")["d30_response"] == "cr"
    p01 = models.Patient.objects.get(subject_id="P01")
    assert stamps()[p01.pk] != p01.updated
    assert row("P01")["d30_response"] == "cr"
    assert stamps()[p01.pk] == p01.updated


def test_an_import_keeps_the_rows_of_its_patients_once_it_commits(
    document, django_capture_on_commit_callbacks, django_assert_num_queries
):
    rows()
    document["patients"][0]["response_assessments"] = [
        {"day": 30, "status": "cr", "bm_blast_pct": 1.0, "mrd": "unknown"}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        cohort_import(data=document)
    # Every patient re-imported has a new `updated`, and its row was computed again.
    with django_assert_num_queries(2):
        assert row("P01")["d30_response"] == "cr"


def test_a_write_keeps_its_patient_s_row_once_it_commits(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    rows()
    assessment = models.ResponseAssessment.objects.get(patient__subject_id="P01")
    assessment.status, assessment.mrd, assessment.mrd_level = "cr", "negative", None
    assessment.bm_blast_pct = 1.0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_save(record=assessment, user=None, reason="monitoring visit")
    assert callbacks
    # The patients and their current kept rows, then the site codes: nothing computed.
    with django_assert_num_queries(2):
        assert row("P01")["d30_response"] == "cr"


def test_a_row_that_fails_to_compute_after_a_write_leaves_the_write_standing(
    django_capture_on_commit_callbacks, caplog
):
    patient = models.Patient.objects.get(subject_id="P01")
    patient.sex = "female" if patient.sex == "male" else "male"
    with mock.patch.object(stored, "stored_rows", side_effect=RuntimeError("database gone")):
        with django_capture_on_commit_callbacks(execute=True):
            record_save(record=patient, user=None, reason="corrected", version=patient.version)
    assert "database gone" in caplog.text
    assert models.Patient.objects.get(pk=patient.pk).sex == patient.sex
    assert row("P01")["sex"] == patient.sex
