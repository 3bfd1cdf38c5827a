"""A transactional ODM document applied to a study that holds the snapshot it follows:
the copy ends as the source, all or nothing, through the cohort import's rules and history."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from registry import models, services
from registry.interchange.exporter import cohort_document, study_header
from registry.interchange.importer import cohort_import
from registry.interchange.odm.transactions import odm_import
from registry.interchange.reader import DocumentRejected
from tests.clients import api_client_of
from tests.odm import imported_study, odm_text
from tests.registry.test_interchange import patient
from tests.registry.test_odm_import import emptied

pytestmark = pytest.mark.django_db

REASON = "Corrected from the source document"


def changed_since(study: models.Study) -> None:
    """Patient own fields, a section a patient has one of, list records added, edited in
    value and in natural key, records without a natural key deleted and added, a patient
    deleted and one enrolled: all through the services a clinician's page uses."""
    p01 = models.Patient.objects.get(subject_id="P01")
    p01.sex = "female"
    services.record_save(record=p01, user=None, reason=REASON)
    p02 = models.Patient.objects.get(subject_id="P02")
    services.record_save(record=models.CarTCount(patient=p02, day=90, cells_per_ul=0.5), user=None)
    infusion = p02.infusions.get()
    infusion.weight_kg += 1
    services.record_save(record=infusion, user=None, reason=REASON)
    moved = models.CarTCount.objects.filter(patient__subject_id="P02").order_by("day").first()
    moved.day += 1
    services.record_save(record=moved, user=None, reason=REASON)
    removed = models.CarTCount.objects.filter(patient__subject_id="P03").first()
    services.record_delete(record=removed, user=None, reason=REASON)
    z99 = models.Patient.objects.get(subject_id="Z99")
    genetics = z99.genetics
    genetics.other = "IKZF1 deletion"
    services.record_save(record=genetics, user=None, reason=REASON)
    treatment = z99.toxicity_treatments.get(treatment="other")
    services.record_delete(record=treatment, user=None, reason=REASON)
    dose = z99.toxicity_treatments.get(treatment="tocilizumab")
    dose.dose_mg = 400.0
    services.record_save(record=dose, user=None, reason=REASON)
    services.record_delete(
        record=models.Patient.objects.get(subject_id="P04"), user=None, reason=REASON
    )
    cohort_import(data=study_header(study) | {"patients": [patient("P98")]})


@pytest.fixture
def documents() -> dict:
    """The source's snapshot, its changes since, and its cohort document after them; the
    registry then emptied and the snapshot imported into it: the copy."""
    study = imported_study()
    since = timezone.now()
    snapshot = odm_text(study)
    changed_since(study)
    found = {"changes": odm_text(study, since=since), "source": cohort_document(study)}
    emptied()
    odm_import(body=snapshot)
    return found


def problems_of(text: str) -> dict[str, str]:
    """The problems that refuse the document `text`, message by path."""
    with pytest.raises(DocumentRejected) as caught:
        odm_import(body=text)
    return {problem.path: problem.message for problem in caught.value.problems}


def test_the_changes_bring_the_copy_level_with_the_source(documents):
    result = odm_import(body=documents["changes"])
    assert (result.created, result.changed) == (1, 4)
    assert cohort_document(models.Study.objects.get()) == documents["source"]


def test_the_result_counts_the_patient_removed(documents):
    result = odm_import(body=documents["changes"])
    assert (result.created, result.changed, result.removed) == (1, 4, 1)
    assert not models.Patient.objects.filter(subject_id="P04").exists()


def test_a_document_that_removes_no_patient_counts_none(documents):
    removal = re.compile(
        r'<SubjectData SubjectKey="P04" TransactionType="Remove"(/>|>.*?</SubjectData>)', re.S
    )
    text, found = removal.subn("", documents["changes"])
    assert found == 1
    assert odm_import(body=text).removed == 0
    assert models.Patient.objects.filter(subject_id="P04").exists()


def test_the_answer_counts_the_patient_removed(documents, admin_user):
    response = api_client_of(admin_user).post(
        "/api/v1/studies/import/", documents["changes"].encode(), content_type="application/xml"
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["created"], answer["changed"], answer["removed"]) == (1, 4, 1)


def test_a_record_changed_in_place_keeps_its_id_and_has_its_history(documents):
    infusion = models.Infusion.objects.get(patient__subject_id="P02")
    odm_import(body=documents["changes"])
    changed = models.Infusion.objects.get(patient__subject_id="P02")
    assert changed.id == infusion.id
    assert changed.version == infusion.version + 1
    assert changed.weight_kg == infusion.weight_kg + 1
    assert changed.history.first().history_type == "~"
    assert not models.Patient.objects.filter(subject_id="P04").exists()
    assert models.Patient.history.filter(subject_id="P04", history_type="-").exists()


def test_applied_twice_it_is_refused_naming_what_and_writes_nothing(documents):
    odm_import(body=documents["changes"])
    after = cohort_document(models.Study.objects.get())
    problems = problems_of(documents["changes"])
    assert problems['SubjectData[@SubjectKey="P98"]'] == (
        "Insert of patient P98: the study has it already"
    )
    assert problems['SubjectData[@SubjectKey="P04"]'] == (
        "Remove of patient P04: the study has no such patient"
    )
    p03 = next(path for path in problems if path.startswith('SubjectData[@SubjectKey="P03"]'))
    assert 'ItemGroupData[@ItemGroupOID="IG.CAR_T_COUNTS" and @ItemGroupRepeatKey=' in p03
    assert problems[p03].startswith("Remove of a car-t")
    assert "has none with these values (day " in problems[p03]
    assert cohort_document(models.Study.objects.get()) == after


def test_an_update_of_a_record_that_is_not_there_is_refused_naming_its_key(documents):
    text = documents["changes"].replace(
        '<SubjectData SubjectKey="P98" TransactionType="Insert">',
        '<SubjectData SubjectKey="P98" TransactionType="Update">',
    )
    assert problems_of(text)['SubjectData[@SubjectKey="P98"]'] == (
        "Update of patient P98: the study has no such patient"
    )
    assert models.Patient.objects.filter(subject_id="P04").exists()


def with_count_updated(text: str, day: int, cells_attributes: str = "") -> str:
    """The document `text` with an Update of P05's CAR-T count on `day`, found by its day,
    to 12.5 cells/µL, `cells_attributes` on that item."""
    return text.replace(
        "</ClinicalData>",
        f'<SubjectData SubjectKey="P05" TransactionType="Update">'
        f'<StudyEventData StudyEventOID="SE.FOLLOWUP"><FormData FormOID="F.CAR_T_COUNTS">'
        f'<ItemGroupData ItemGroupOID="IG.CAR_T_COUNTS" ItemGroupRepeatKey="1" '
        f'TransactionType="Update"><ItemData ItemOID="IT.CAR_T_COUNTS.DAY" Value="{day}"/>'
        f'<ItemData ItemOID="IT.CAR_T_COUNTS.CELLS_PER_UL" Value="12.5"{cells_attributes}/>'
        f"</ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData>",
    )


def test_an_update_found_by_its_natural_key_changes_the_record(documents):
    """Another system's Update names a list record by its key, not by removal and insertion."""
    p05 = models.Patient.objects.get(subject_id="P05")
    count = p05.car_t_counts.order_by("day").first()
    text = with_count_updated(documents["changes"], count.day)
    odm_import(body=text)
    assert p05.car_t_counts.get(day=count.day).cells_per_ul == 12.5
    missing = text.replace(f'Value="{count.day}"/><ItemData', 'Value="9999"/><ItemData')
    with pytest.raises(DocumentRejected) as caught:
        odm_import(body=missing)
    (problem,) = [p for p in caught.value.problems if "P05" in p.path]
    assert problem.message == (
        "Update of a car-t count: it is found by its day, specimen, and the patient has none "
        "with day 9999"
    )


def test_a_study_not_in_the_registry_is_refused(documents):
    text = documents["changes"].replace("HCD19", "OTHER")
    with pytest.raises(DocumentRejected) as caught:
        odm_import(body=text)
    (problem,) = caught.value.problems
    assert problem.path == "ODM/Study/GlobalVariables/StudyName"
    assert "import that snapshot first" in problem.message


def test_a_locked_study_is_refused_and_nothing_is_written(documents):
    study = models.Study.objects.get()
    services.study_lock(study=study)
    before = cohort_document(study)
    with pytest.raises(DocumentRejected) as caught:
        odm_import(body=documents["changes"])
    assert any("locked" in problem.message for problem in caught.value.problems)
    assert cohort_document(study) == before


def test_the_command_applies_a_transactional_file(documents, tmp_path, capsys):
    path = tmp_path / "changes.xml"
    path.write_text(documents["changes"])
    call_command("import_odm", str(path))
    out = capsys.readouterr().out
    assert "1 patient(s) created, 4 changed" in out
    assert ", 1 removed; records: " in out
    assert cohort_document(models.Study.objects.get()) == documents["source"]
    with pytest.raises(CommandError, match="problem"):
        call_command("import_odm", str(path))


def test_a_patient_given_twice_is_refused_as_such_and_nothing_is_written(documents):
    # Found by a crafted document: a second Remove of P04 answered that someone had deleted
    # the record while it was being edited.
    text = documents["changes"].replace(
        "</ClinicalData>",
        '<SubjectData SubjectKey="P04" TransactionType="Remove"/></ClinicalData>',
    )
    assert problems_of(text) == {
        'SubjectData[@SubjectKey="P04"]': "Patient P04 is given more than once: give each "
        "patient once"
    }
    assert models.Patient.objects.filter(subject_id="P04").exists()


def test_a_transaction_type_on_one_item_is_refused_not_ignored(documents):
    # Found by a crafted document: the item's Remove was read as its value.
    p05 = models.Patient.objects.get(subject_id="P05")
    count = p05.car_t_counts.order_by("day").first()
    text = with_count_updated(documents["changes"], count.day, ' TransactionType="Remove"')
    assert problems_of(text) == {
        'SubjectData[@SubjectKey="P05"]/ItemData[@ItemOID="IT.CAR_T_COUNTS.CELLS_PER_UL"]': (
            "Remove of one item: give TransactionType on its ItemGroupData, with the "
            "record's values whole"
        )
    }
    assert p05.car_t_counts.get(day=count.day).cells_per_ul == count.cells_per_ul
