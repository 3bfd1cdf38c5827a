"""The cohort import keeps the casebook: its counts, and a signature its changes void, in
its own transaction."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from registry import casebook
from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import CasebookSignature, Patient, Role, SectionStatus
from registry.required_fields import COMPLETE, SIGNED
from tests.conftest import PASSWORD
from tests.registry.test_interchange import cohort, patient

pytestmark = pytest.mark.django_db


def imported_and_signed() -> Patient:
    cohort_import(data=cohort(patient("P01")))
    stored = Patient.objects.get(subject_id="P01")
    user = User.objects.create_user("investigator", password=PASSWORD)
    membership_grant(
        user=user, study=stored.study, role=Role.CLINICIAN, sites=[stored.site], investigator=True
    )
    casebook.casebook_sign(patient=stored, user=user, password=PASSWORD)
    return stored


def test_it_counts_the_required_fields_of_imported_patients():
    document = patient("P02")
    document["response_assessments"][-1]["mrd"] = "unknown"
    cohort_import(data=cohort(patient("P01"), document))
    counts = dict(Patient.objects.values_list("subject_id", "required_missing"))
    assert counts == {"P01": 0, "P02": 1}


def test_an_unchanged_import_leaves_the_signature_standing():
    stored = imported_and_signed()
    cohort_import(data=cohort(patient("P01")))
    stored.refresh_from_db()
    assert stored.casebook_signed


def test_an_import_changing_a_signed_section_voids_the_signature():
    stored = imported_and_signed()
    changed = patient("P01")
    changed["infusions"][0]["cells_per_kg"] = 250000
    cohort_import(data=cohort(changed))
    signature = CasebookSignature.objects.get()
    assert signature.void_reason == "Voided: CAR-T infusions changed after signing"
    stored.refresh_from_db()
    assert not stored.casebook_signed
    assert SectionStatus.objects.get(patient=stored, section="infusions").status == COMPLETE


def test_the_signature_is_voided_with_the_import_s_transaction():
    stored = imported_and_signed()
    changed = patient("P01")
    changed["infusions"][0]["cells_per_kg"] = 250000
    with pytest.raises(RuntimeError), transaction.atomic():
        cohort_import(data=cohort(changed))
        raise RuntimeError("the import rolled back")
    stored.refresh_from_db()
    assert stored.casebook_signed
    assert SectionStatus.objects.get(patient=stored, section="infusions").status == SIGNED
