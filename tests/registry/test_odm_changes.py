"""The transactional ODM document: what the audit trail shows changed after a moment,
each subject and record marked Insert, Update or Remove."""

import pytest
from django.utils import timezone

from registry import models, services
from registry.interchange.odm.reader import cohort_from_odm
from registry.interchange.reader import DocumentRejected
from tests import factories
from tests.odm import NS, imported_study, odm_text, root_of, schema_errors, subjects

pytestmark = pytest.mark.django_db

REASON = "Corrected from the source document"


def groups(subject, oid: str) -> list:
    return subject.findall(f".//odm:ItemGroupData[@ItemGroupOID='{oid}']", NS)


@pytest.fixture
def changed() -> dict:
    """The published cohort imported, then, after `since`: P01's sex corrected, a
    CAR-T count added to P02 and its infusion's weight raised by 1 kg, a CAR-T count of P03
    deleted, P04 deleted, and P98 enrolled."""
    study = imported_study()
    since = timezone.now()
    p01 = models.Patient.objects.get(subject_id="P01")
    p01.sex = "female"
    services.record_save(record=p01, user=None, reason=REASON)
    p02 = models.Patient.objects.get(subject_id="P02")
    count = models.CarTCount(patient=p02, day=90, cells_per_ul=0.5)
    services.record_save(record=count, user=None)
    infusion = p02.infusions.get()
    infusion.weight_kg += 1
    services.record_save(record=infusion, user=None, reason=REASON)
    removed = models.CarTCount.objects.filter(patient__subject_id="P03").first()
    services.record_delete(record=removed, user=None, reason=REASON)
    services.record_delete(
        record=models.Patient.objects.get(subject_id="P04"), user=None, reason=REASON
    )
    site = models.Site.objects.get(study=study, code="BOREN")
    factories.PatientFactory(study=study, site=site, subject_id="P98")
    text = odm_text(study, since=since)
    return {"text": text, "count": count, "infusion": infusion, "removed": removed}


def test_it_is_valid_odm_1_3_2_marked_transactional(changed):
    assert schema_errors(changed["text"]) == []
    assert root_of(changed["text"]).get("FileType") == "Transactional"


def test_it_holds_only_the_subjects_that_changed(changed):
    found = subjects(changed["text"])
    assert {key: subject.get("TransactionType") for key, subject in found.items()} == {
        "P01": "Update",
        "P02": "Update",
        "P03": "Update",
        "P98": "Insert",
        "P04": "Remove",
    }


def test_a_changed_patient_holds_only_what_changed(changed):
    found = subjects(changed["text"])
    (own,) = groups(found["P01"], "IG.PATIENT")
    assert own.get("TransactionType") == "Update"
    sex = own.find("odm:ItemData[@ItemOID='IT.PATIENT.SEX']", NS)
    assert sex.get("Value") == "female"
    assert len(found["P01"].findall(".//odm:ItemGroupData", NS)) == 1
    p02 = {
        group.get("ItemGroupRepeatKey"): group for group in groups(found["P02"], "IG.CAR_T_COUNTS")
    }
    assert p02[str(changed["count"].id)].get("TransactionType") == "Insert"
    assert len(p02) == 1

    removal, insertion = groups(found["P02"], "IG.INFUSIONS")
    assert [removal.get("TransactionType"), insertion.get("TransactionType")] == [
        "Remove",
        "Insert",
    ]
    key = str(changed["infusion"].id)
    assert removal.get("ItemGroupRepeatKey") == insertion.get("ItemGroupRepeatKey") == key
    weight = "odm:ItemData[@ItemOID='IT.INFUSIONS.WEIGHT_KG']"
    assert float(removal.find(weight, NS).get("Value")) == changed["infusion"].weight_kg - 1
    assert float(insertion.find(weight, NS).get("Value")) == changed["infusion"].weight_kg


def test_a_deleted_record_is_removed_by_its_key_with_the_values_it_had(changed):
    """The values name it to a receiver that keeps no repeat keys."""
    (removed,) = groups(subjects(changed["text"])["P03"], "IG.CAR_T_COUNTS")
    assert removed.get("TransactionType") == "Remove"
    assert removed.get("ItemGroupRepeatKey") == str(changed["removed"].id)
    day = removed.find("odm:ItemData[@ItemOID='IT.CAR_T_COUNTS.DAY']", NS)
    assert day.get("Value") == str(changed["removed"].day)


def test_a_new_patient_is_inserted_whole_and_a_deleted_one_removed(changed):
    found = subjects(changed["text"])
    assert found["P98"].find("odm:SiteRef", NS).get("LocationOID") == "BOREN"
    assert groups(found["P98"], "IG.PATIENT")
    assert found["P04"].findall("odm:StudyEventData", NS) == []


def test_nothing_changed_since_now_is_an_empty_document():
    study = imported_study()
    text = odm_text(study, since=timezone.now())
    assert schema_errors(text) == []
    assert subjects(text) == {}


def test_it_is_not_imported_as_a_snapshot(changed):
    with pytest.raises(DocumentRejected):
        cohort_from_odm(changed["text"])
