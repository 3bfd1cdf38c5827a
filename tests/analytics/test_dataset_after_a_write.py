"""GET .../analytics/dataset/ after a write to one patient: stitched from the blocks each
process keeps (analytics.dataset_answer), it is, byte for byte, the answer written afresh,
for each format and with filters, a population, a clinical cut-off or an as-recorded
date."""

import csv
import gzip
import io
import json
from datetime import date

import pytest

from analytics import caching, dataset_answer, exports
from analytics.process_kept import ProcessKept
from registry import models
from registry.services import record_save
from tests.factories import PatientFactory

pytestmark = pytest.mark.usefixtures("published")


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of five of the published cohort's 19 patients; answers over 2 kB compressed."""
    monkeypatch.setattr(dataset_answer, "BLOCK_ROWS", 5)
    monkeypatch.setattr(exports, "COMPRESS_OVER", 2_000)
    monkeypatch.setattr(dataset_answer, "kept_answers", ProcessKept(dataset_answer.MAX_KEPT))


@pytest.fixture
def dataset(api):
    """The dataset's text as a client that accepts gzip reads it."""

    def get(params: dict) -> bytes:
        response = api.get(
            "/api/v1/studies/HCD19/analytics/dataset/", params, HTTP_ACCEPT_ENCODING="gzip"
        )
        assert response.status_code == 200
        if response.get("Content-Encoding") == "gzip":
            return gzip.decompress(response.content)
        return response.content

    return get


def sex_changed(subject_id: str) -> None:
    """A clinician's write: the patient's sex corrected, which moves it in or out of the
    patients a filter on sex selects."""
    patient = models.Patient.objects.get(subject_id=subject_id)
    patient.sex = "male" if patient.sex == "female" else "female"
    record_save(record=patient, user=None, reason="data entry error")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"format": "csv"},
        {"population": "responders"},
        {"sex": "female"},
        {"search": "P1"},
        {"vital_status": "alive"},
        {"cutoff": "2019-06-30"},
        {"cutoff": "2019-06-30", "format": "csv"},
        {"as_of": date.today().isoformat()},
    ],
)
def test_after_a_write_the_answer_is_the_one_written_afresh(
    dataset, params, monkeypatch, django_capture_on_commit_callbacks
):
    before = dataset(params)
    with django_capture_on_commit_callbacks(execute=True):
        sex_changed("P07")

    stitched = dataset(params)
    # Nothing kept and nothing cached: written whole.
    dataset_answer.kept_answers.clear()
    monkeypatch.setattr(caching, "RESULTS_FORMAT", caching.RESULTS_FORMAT + 1)
    assert stitched == dataset(params)
    if not params:
        assert stitched != before


@pytest.mark.parametrize("params", [{}, {"format": "csv"}])
def test_a_block_of_patients_none_of_them_infused_has_no_infusion_date(dataset, params):
    """Enrolled, not yet infused: the last in the study's order, the last block theirs."""
    study = models.Study.objects.get(code="HCD19")
    waiting = {
        PatientFactory(site=study.sites.first(), subject_id=f"Z{n}").subject_id for n in range(5)
    }

    text = dataset(params).decode()

    if params:
        rows = list(csv.DictReader(io.StringIO(text)))
        missing = ""
    else:
        rows = json.loads(text)["results"]
        missing = None
    dates = {row["study_id"]: row["infusion_date"] for row in rows}
    assert {subject: dates[subject] for subject in waiting} == dict.fromkeys(waiting, missing)
    assert all(dates[subject] != missing for subject in dates.keys() - waiting)
