"""A locked study: none of its patients' data changes, by any way in, until it is unlocked."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from registry import models, services
from registry.interchange.importer import cohort_import
from registry.interchange.reader import DocumentRejected

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"
LOCKED = (
    "Study HCD19 is locked since {}; an administrator must unlock it, with a reason, "
    "before data can change"
)


@pytest.fixture
def locked(infusion) -> str:
    """Locks the infusion's study; the message a refused change gets."""
    study = infusion.patient.study
    services.study_lock(study=study)
    return LOCKED.format(timezone.localdate(study.locked_at).isoformat())


def test_it_refuses_to_change_a_section(infusion, locked):
    infusion.weight_kg = 61.0

    with pytest.raises(ValidationError) as refused:
        services.record_save(record=infusion, user=None, reason="Re-measured")

    assert refused.value.messages == [locked]
    infusion.refresh_from_db()
    assert infusion.weight_kg == 60.0


def test_it_refuses_to_change_a_patient(infusion, locked):
    patient = infusion.patient
    patient.sex = "male"

    with pytest.raises(ValidationError) as refused:
        services.record_save(record=patient, user=None, reason="Typing error")

    assert refused.value.messages == [locked]


def test_it_refuses_to_add_a_patient_or_a_record(infusion, locked):
    site = infusion.patient.site
    patient = models.Patient(study=site.study, site=site, subject_id="NEW-1")
    count = models.CarTCount(patient=infusion.patient, day=7, cells_per_ul=1.0)

    for record in (patient, count):
        with pytest.raises(ValidationError) as refused:
            services.record_save(record=record, user=None)
        assert locked in refused.value.messages


def test_it_refuses_to_delete_a_record_or_a_patient(infusion, locked):
    for record in (infusion, infusion.patient):
        with pytest.raises(ValidationError) as refused:
            services.record_delete(record=record, user=None, reason="Entered twice")
        assert refused.value.messages == [locked]

    assert models.Infusion.objects.filter(pk=infusion.pk).exists()


def test_it_checks_the_lock_in_the_model_layer(infusion, locked):
    infusion.weight_kg = 61.0

    with pytest.raises(ValidationError) as refused:
        infusion.full_clean()

    assert locked in refused.value.messages


def test_it_refuses_an_import_into_a_locked_study():
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    services.study_lock(study=study)
    before = models.Patient.history.count()

    with pytest.raises(DocumentRejected) as rejected:
        cohort_import(data=json.loads(PUBLISHED.read_text()))

    since = timezone.localdate(study.locked_at).isoformat()
    assert [(p.path, p.message) for p in rejected.value.problems] == [
        ("study.code", LOCKED.format(since))
    ]
    assert models.Patient.history.count() == before


def test_it_changes_data_again_once_unlocked(infusion, locked):
    services.study_unlock(study=infusion.patient.study, reason="Late lab results")
    infusion.weight_kg = 61.0

    assert services.record_save(record=infusion, user=None, reason="Re-measured") is True


def test_it_locks_and_unlocks_with_commands_keeping_the_reason(infusion):
    call_command("lock_study", "HCD19")
    study = models.Study.objects.get(code="HCD19")
    assert study.locked_at is not None

    call_command("unlock_study", "HCD19", "--reason", "Query on patient P001 answered late")

    study.refresh_from_db()
    assert study.locked_at is None
    assert study.history.first().history_change_reason == "Query on patient P001 answered late"


def test_it_unlocks_only_with_a_reason(infusion, locked):
    with pytest.raises(CommandError, match="A reason is required to unlock a study"):
        call_command("unlock_study", "HCD19", "--reason", " ")

    assert models.Study.objects.get(code="HCD19").locked_at is not None


def test_it_names_a_study_it_does_not_know_or_one_already_locked(infusion, locked):
    with pytest.raises(CommandError, match="No study 'NOPE'"):
        call_command("lock_study", "NOPE")
    with pytest.raises(CommandError, match="Study HCD19 is already locked"):
        call_command("lock_study", "HCD19")


# The admin


def test_it_locks_and_unlocks_from_the_admin_with_a_reason(admin_client, infusion):
    study = infusion.patient.study
    url = reverse("admin:registry_study_changelist")
    selected = {"_selected_action": [study.pk]}

    admin_client.post(url, selected | {"action": "lock"})
    study.refresh_from_db()
    locked_at = study.locked_at
    refused = admin_client.post(url, selected | {"action": "unlock", "reason": ""}, follow=True)
    admin_client.post(url, selected | {"action": "unlock", "reason": "Late lab results"})

    assert locked_at is not None
    assert "A reason is required to unlock a study" in refused.content.decode()
    study.refresh_from_db()
    assert study.locked_at is None
    assert study.history.first().history_change_reason == "Late lab results"
