"""Each study's data frame kept in the process's memory (analytics.frames): brought up to
date by reading only the changed patients' rows, and always equal to the frame built
afresh from the kept rows."""

from datetime import timedelta
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics import frames
from analytics.caching import data_version
from analytics.cohort import patients_frame
from analytics.dataset import analysis_values
from config import gunicorn
from registry import models
from registry.data_version import data_changed
from registry.interchange.importer import cohort_import
from registry.services import record_delete, record_save
from tests import factories

pytestmark = pytest.mark.usefixtures("published")


@pytest.fixture
def study(published) -> models.Study:
    return published


@pytest.fixture
def reads():
    """The patients whose rows each call read (analytics.frames)."""
    read = []

    def stored_rows(patients):
        rows = frames_stored_rows(patients)
        read.append(
            sorted(models.Patient.objects.filter(pk__in=rows).values_list("subject_id", flat=True))
        )
        return rows

    frames_stored_rows = frames.stored_rows
    with mock.patch.object(frames, "stored_rows", stored_rows):
        yield read


def kept(study: models.Study) -> pd.DataFrame:
    return frames.study_frame(study, data_version(study)).frame


def afresh(study: models.Study) -> pd.DataFrame:
    patients = study.patients.order_by("subject_id")
    return patients_frame(analysis_values(patients))


def assert_current(study: models.Study) -> None:
    frame, expected = kept(study), afresh(study)
    pd.testing.assert_frame_equal(frame, expected)


def assert_taken_in(study: models.Study, reads: list, *, study_id: str, column: str, value) -> None:
    """The kept frame takes in a change to one patient by reading that patient's row alone,
    shows the changed column's value in its one row, and equals the frame built afresh."""
    frame = kept(study)
    assert reads[-1] == [study_id]
    assert frame.loc[frame["study_id"] == study_id, column].tolist() == [value]
    assert_current(study)


def test_it_reads_only_the_changed_patient(study, reads):
    assert_current(study)
    assessment = models.ResponseAssessment.objects.get(patient__subject_id="P01")
    assessment.status, assessment.mrd, assessment.mrd_level = "cr", "negative", None
    assessment.bm_blast_pct = 1.0
    record_save(record=assessment, user=None, reason="monitoring visit")
    assert_taken_in(study, reads, study_id="P01", column="d30_response", value="cr")


def test_it_reads_nothing_while_the_data_version_stands(study, reads):
    kept(study)
    kept(study)
    assert len(reads) == 1


def test_it_takes_in_a_new_patient_in_the_study_order(study, reads):
    kept(study)
    site = study.sites.first()
    factories.PatientFactory(study=study, site=site, subject_id="P10A")
    frame = kept(study)
    assert reads[-1] == ["P10A"]
    assert list(frame["study_id"]).index("P10A") == list(frame["study_id"]).index("P10") + 1
    assert_current(study)


def test_it_drops_a_deleted_patient(study):
    kept(study)
    record_delete(record=models.Patient.objects.get(subject_id="P07"), user=None, reason="consent")
    assert "P07" not in set(kept(study)["study_id"])
    assert_current(study)


def test_it_drops_a_patient_deleted_with_others_in_bulk(study):
    kept(study)
    models.Patient.objects.filter(subject_id__in=["P07", "P08"]).delete()
    assert len(kept(study)) == 17
    assert_current(study)


def test_it_drops_a_patient_moved_to_another_study(study, document):
    kept(study)
    document["study"]["code"] = "OTHER"
    other = cohort_import(data=document).study
    moved = models.Patient.objects.get(study=study, subject_id="P19")
    moved.study, moved.site, moved.subject_id = other, other.sites.first(), "P19-MOVED"
    moved.save()
    assert "P19" not in set(kept(study)["study_id"])
    assert_current(study)
    assert_current(other)


def test_it_finds_a_change_committed_after_a_later_one(
    study, reads, django_capture_on_commit_callbacks
):
    kept(study)
    # P02 stamped before P03, but committed after P03's change was seen: the commit
    # replaces the data token (registry.data_version), not the latest `updated`.
    before = timezone.now()
    models.Patient.objects.filter(subject_id="P03").update(
        updated=before + timedelta(seconds=1), sex="male"
    )
    kept(study)
    with django_capture_on_commit_callbacks(execute=True):
        models.Patient.objects.filter(subject_id="P02").update(updated=before, sex="male")
        data_changed(sender=models.Patient, instance=models.Patient.objects.get(subject_id="P02"))
    assert_taken_in(study, reads, study_id="P02", column="sex", value="male")


def test_it_writes_a_renamed_site(study, django_capture_on_commit_callbacks):
    kept(study)
    site = study.sites.get(code="BOREN")
    site.code = "BOREN-NORTH"
    with django_capture_on_commit_callbacks(execute=True):
        site.save()
    assert "BOREN-NORTH" in set(kept(study)["site"])
    assert_current(study)


def test_it_builds_the_frame_again_after_an_import(study, document, reads):
    kept(study)
    document["patients"][0]["sex"] = "female"
    cohort_import(data=document)
    frames.frame_rebuilt_after_import(sender=models.Study, study=study)
    kept(study)
    assert len(reads[-1]) == 19
    assert_current(study)


def test_it_builds_the_frame_again_when_many_patients_changed(study, reads, monkeypatch):
    kept(study)
    monkeypatch.setattr(frames, "REBUILD_OVER", 2)
    study.patients.filter(subject_id__in=["P01", "P02", "P03"]).update(updated=timezone.now())
    kept(study)
    assert len(reads[-1]) == 19
    assert_current(study)


def test_it_builds_the_frame_again_when_the_cache_was_emptied(study, reads):
    kept(study)
    cache.clear()
    kept(study)
    assert len(reads) == 2


def test_it_keeps_the_frames_of_a_few_studies(study, document, monkeypatch):
    monkeypatch.setattr(frames.process_frames, "most", 1)
    kept(study)
    document["study"]["code"] = "OTHER"
    other = cohort_import(data=document).study
    kept(other)
    assert frames.process_frames.keys() == [other.pk]


def test_it_looks_back_twice_as_long_as_gunicorn_lets_a_request_run():
    # A request's transaction commits at most gunicorn's timeout after it stamped a patient;
    # a longer timeout needs a longer look back, or late commits go unseen.
    assert frames.LOOK_BACK >= timedelta(seconds=2 * gunicorn.timeout)


def test_a_frame_is_never_changed_once_made(study):
    first = kept(study)
    snapshot = first.copy()
    models.Patient.objects.filter(subject_id="P01").update(updated=timezone.now(), sex="female")
    assert kept(study) is not first
    pd.testing.assert_frame_equal(first, snapshot)


def test_a_change_whose_taking_in_failed_is_taken_in_next_time(study):
    # The stamps are shared with the next frame, and updated only once it is made.
    assert_current(study)
    patient = models.Patient.objects.get(subject_id="P01")
    sex = "male" if patient.sex == "female" else "female"
    models.Patient.objects.filter(pk=patient.pk).update(updated=timezone.now(), sex=sex)
    with mock.patch.object(frames, "_replaced", side_effect=MemoryError):
        with pytest.raises(MemoryError):
            kept(study)
    assert kept(study).loc[patient.pk, "sex"] == sex
    assert_current(study)


def test_a_new_frame_shares_the_columns_the_change_left_as_they_were(study):
    first = kept(study)
    patient = models.Patient.objects.get(subject_id="P01")
    sex = "male" if patient.sex == "female" else "female"
    models.Patient.objects.filter(pk=patient.pk).update(updated=timezone.now(), sex=sex)

    second = kept(study)

    assert second.loc[patient.pk, "sex"] == sex
    assert not np.shares_memory(first["sex"].to_numpy(), second["sex"].to_numpy())
    assert np.shares_memory(first["study_id"].to_numpy(), second["study_id"].to_numpy())
    assert_current(study)
