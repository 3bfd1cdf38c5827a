"""An ODM snapshot is imported a batch of subjects at a time, in one transaction: the
result, the problems' places and the all-or-nothing are those of the whole document."""

import pytest

from registry import models
from registry.interchange.exporter import cohort_document
from registry.interchange.odm import reader
from registry.interchange.odm.transactions import odm_import
from registry.interchange.reader import DocumentRejected
from tests.odm import imported_study, odm_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def batches_of_three(monkeypatch):
    monkeypatch.setattr(reader, "SUBJECTS_A_BATCH", 3)
    monkeypatch.setattr(reader.OdmSnapshot.patient_batches, "__defaults__", (3,))


def emptied() -> None:
    for model in (models.Patient, models.Site, models.Study):
        model.objects.all().delete()


def test_it_imports_every_batch_of_a_file_as_one_study(batches_of_three, tmp_path):
    study = imported_study()
    before = cohort_document(study)
    path = tmp_path / "hcd19.xml"
    path.write_text(odm_text(study))
    emptied()
    with path.open("rb") as source:
        result = odm_import(body=source)
    assert result.created == 20
    assert cohort_document(result.study) == before


def test_a_problem_in_a_later_batch_is_named_by_its_subject_and_writes_nothing(
    batches_of_three,
):
    study = imported_study()
    text = odm_text(study)
    last = text.rindex('ItemOID="IT.INFUSIONS.WEIGHT_KG" Value="')
    end = text.index('"', last + len('ItemOID="IT.INFUSIONS.WEIGHT_KG" Value="'))
    text = text[: last + len('ItemOID="IT.INFUSIONS.WEIGHT_KG" Value="')] + "heavy" + text[end:]
    emptied()
    with pytest.raises(DocumentRejected) as caught:
        odm_import(body=text.encode())
    (problem,) = caught.value.problems
    assert problem.path.startswith("patients[19].infusions[")
    assert "number" in problem.message
    assert not models.Study.objects.exists()


def test_a_study_id_given_twice_across_batches_is_refused(batches_of_three):
    study = imported_study()
    first, last = study.patients.order_by("subject_id").values_list("subject_id", flat=True)[::19]
    text = odm_text(study).replace(f'SubjectKey="{last}"', f'SubjectKey="{first}"')
    emptied()
    with pytest.raises(DocumentRejected) as caught:
        odm_import(body=text)
    paths = [problem.path for problem in caught.value.problems]
    assert "patients[19].study_id" in paths
    assert not models.Patient.objects.exists()
