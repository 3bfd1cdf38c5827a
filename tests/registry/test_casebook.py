"""The casebook: completeness of the required fields, each section's status, a monitor's
verification and an investigator's signature, kept in the writing transaction."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import casebook, completeness, history, services
from registry.access import membership_grant
from registry.models import CasebookSignature, Patient, Role, SectionStatus
from registry.required_fields import COMPLETE, INCOMPLETE, SIGNED, VERIFIED
from tests import factories
from tests.conftest import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db


def complete_patient() -> Patient:
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    factories.ResponseAssessmentFactory(patient=patient)
    patient.refresh_from_db()
    return patient


def status_of(patient: Patient, section: str) -> str:
    return SectionStatus.objects.get(patient=patient, section=section).status


def test_it_counts_the_default_required_fields_missing_of_a_new_patient():
    patient = factories.PatientFactory()
    patient.refresh_from_db()
    # Lymphodepletion (3), the infusion dose, the response and its MRD.
    assert (patient.required_total, patient.required_missing) == (6, 6)
    assert status_of(patient, "infusions") == INCOMPLETE
    missing = SectionStatus.objects.get(patient=patient, section="response_assessments").missing
    assert missing == ["status", "mrd"]


def test_it_counts_a_record_written_in_the_same_transaction():
    patient = complete_patient()
    assert (patient.required_total, patient.required_missing) == (6, 0)
    assert status_of(patient, "infusions") == COMPLETE


def test_it_counts_an_unknown_mrd_as_missing():
    patient = complete_patient()
    assessment = patient.response_assessments.get()
    assessment.mrd = "unknown"
    services.record_save(record=assessment, user=None, reason="MRD not found")
    patient.refresh_from_db()
    assert patient.required_missing == 1
    row = SectionStatus.objects.get(patient=patient, section="response_assessments")
    assert (row.status, row.missing) == (INCOMPLETE, ["mrd"])


def test_it_lets_a_monitor_verify_a_complete_section(teammate):
    patient = complete_patient()
    casebook.section_verify(patient=patient, section="infusions", user=teammate)
    row = SectionStatus.objects.get(patient=patient, section="infusions")
    assert (row.status, row.verified_by) == (VERIFIED, teammate)


def test_it_refuses_to_verify_a_section_with_missing_data(teammate):
    patient = factories.PatientFactory()
    with pytest.raises(ValidationError, match=r"dose \(CAR-positive viable cells/kg\) missing"):
        casebook.section_verify(patient=patient, section="infusions", user=teammate)


@pytest.mark.parametrize("who", ["owner", "neighbour", "outsider"])
def test_it_lets_only_monitors_and_administrators_verify(request, who):
    patient = complete_patient()
    with pytest.raises(PermissionDenied):
        casebook.section_verify(
            patient=patient, section="infusions", user=request.getfixturevalue(who)
        )


def test_a_change_to_a_verified_section_sets_it_back_and_says_why(teammate, owner):
    patient = complete_patient()
    casebook.section_verify(patient=patient, section="infusions", user=teammate)
    infusion = patient.infusions.get()
    infusion.cells_per_kg = 250_000
    services.record_save(record=infusion, user=owner, reason="typing error")
    row = SectionStatus.objects.get(patient=patient, section="infusions")
    assert (row.status, row.verified_by) == (COMPLETE, None)
    entries = [e for e in history.patient_history(patient.pk) if e.section == "casebook"]
    assert entries[0].reason == "CAR-T infusions changed after it was verified (typing error)"
    assert entries[0].user == "owner"


def test_an_investigator_signs_with_their_password(investigator):
    patient = complete_patient()
    signature = casebook.casebook_sign(patient=patient, user=investigator, password=PASSWORD)
    assert signature.meaning == ("I confirm the data of this casebook are complete and accurate")
    patient.refresh_from_db()
    assert patient.casebook_signed
    assert set(patient.section_statuses.values_list("status", flat=True)) == {SIGNED}
    assert len(patient.section_statuses.all()) == len(casebook.SECTION_KEYS)


def test_a_wrong_password_signs_nothing(investigator):
    patient = complete_patient()
    with pytest.raises(ValidationError, match="password is not correct"):
        casebook.casebook_sign(patient=patient, user=investigator, password="guess")
    assert not CasebookSignature.objects.exists()


def test_a_casebook_with_missing_data_is_not_signed(investigator):
    patient = factories.PatientFactory()
    with pytest.raises(
        ValidationError, match=r"CAR-T infusions: dose \(CAR-positive viable cells/kg\) missing"
    ):
        casebook.casebook_sign(patient=patient, user=investigator, password=PASSWORD)
    assert not CasebookSignature.objects.exists()


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_only_an_investigator_signs(request, who):
    patient = complete_patient()
    with pytest.raises(PermissionDenied):
        casebook.casebook_sign(
            patient=patient, user=request.getfixturevalue(who), password=PASSWORD
        )


def test_an_investigator_of_another_site_does_not_sign(db):
    patient = complete_patient()
    other = factories.SiteFactory(code="PUMC")
    user = user_with_role("elsewhere", Role.CLINICIAN, other, at_site=True)
    membership_grant(
        user=user, study=other.study, role=Role.CLINICIAN, sites=[other], investigator=True
    )
    with pytest.raises(PermissionDenied):
        casebook.casebook_sign(patient=patient, user=user, password=PASSWORD)


def test_only_a_clinician_is_an_investigator(db):
    site = factories.SiteFactory()
    user = User.objects.create_user("monitor", password=PASSWORD)
    with pytest.raises(ValidationError, match="An investigator is a clinician"):
        membership_grant(user=user, study=site.study, role=Role.MONITOR, investigator=True)


def test_a_change_to_a_signed_section_voids_the_signature_in_its_transaction(investigator, owner):
    patient = complete_patient()
    casebook.casebook_sign(patient=patient, user=investigator, password=PASSWORD)
    infusion = patient.infusions.get()
    infusion.cells_per_kg = 250_000
    services.record_save(record=infusion, user=owner, reason="typing error")
    signature = CasebookSignature.objects.get()
    assert signature.voided_at is not None
    assert signature.void_reason == "Voided: CAR-T infusions changed after signing"
    patient.refresh_from_db()
    assert not patient.casebook_signed
    assert status_of(patient, "infusions") == COMPLETE
    assert status_of(patient, "genetics") == COMPLETE
    reasons = [e.reason for e in history.patient_history(patient.pk)]
    assert "Voided: CAR-T infusions changed after signing (typing error)" in reasons


def test_a_failed_write_leaves_the_signature_standing(investigator, owner):
    patient = complete_patient()
    casebook.casebook_sign(patient=patient, user=investigator, password=PASSWORD)
    infusion = patient.infusions.get()
    infusion.weight_kg = -1
    with pytest.raises(ValidationError):
        services.record_save(record=infusion, user=owner, reason="typing error")
    patient.refresh_from_db()
    assert patient.casebook_signed


def test_a_verification_survives_the_signature_voided_by_another_section(
    teammate, investigator, owner
):
    patient = complete_patient()
    casebook.section_verify(patient=patient, section="lymphodepletion", user=teammate)
    casebook.casebook_sign(patient=patient, user=investigator, password=PASSWORD)
    infusion = patient.infusions.get()
    infusion.cells_per_kg = 250_000
    services.record_save(record=infusion, user=owner, reason="typing error")
    assert status_of(patient, "lymphodepletion") == VERIFIED


def test_a_new_record_of_a_section_not_required_voids_the_signature(investigator, owner):
    patient = complete_patient()
    casebook.casebook_sign(patient=patient, user=investigator, password=PASSWORD)
    lab = factories.LabResultFactory.build(patient=patient)
    services.record_save(record=lab, user=owner, reason="result came late")
    signature = CasebookSignature.objects.get()
    assert signature.void_reason == "Voided: laboratory values changed after signing"
    patient.refresh_from_db()
    assert not patient.casebook_signed


def test_a_section_verified_then_no_longer_required_is_set_back_by_a_change(teammate, owner):
    patient = complete_patient()
    casebook.section_verify(patient=patient, section="lymphodepletion", user=teammate)
    study = patient.study
    study.required_fields = [p for p in study.required_fields if "lymphodepletion" not in p]
    study.save()
    assert status_of(patient, "lymphodepletion") == VERIFIED
    lymphodepletion = patient.lymphodepletion
    lymphodepletion.days = 4
    services.record_save(record=lymphodepletion, user=owner, reason="typing error")
    assert status_of(patient, "lymphodepletion") == COMPLETE


def test_a_write_to_a_section_the_casebook_does_not_read_leaves_it_uncounted(owner):
    patient = complete_patient()
    lab = factories.LabResultFactory.build(patient=patient)
    with CaptureQueriesContext(connection) as queries:
        services.record_save(record=lab, user=owner, reason="result came late")
    # Only whether a status of the labs is stored is asked; no section is counted again.
    statuses = [q["sql"] for q in queries if "registry_sectionstatus" in q["sql"]]
    assert len(statuses) == 1 and statuses[0].startswith("SELECT")
    patient.refresh_from_db()
    assert (patient.required_total, patient.required_missing) == (6, 0)


def test_required_fields_changed_count_every_patient_again(db):
    patient = complete_patient()
    study = patient.study
    study.required_fields = [*study.required_fields, "genetics.bcr_abl1"]
    study.save()
    patient.refresh_from_db()
    assert (patient.required_total, patient.required_missing) == (7, 1)


def test_a_study_refuses_an_unknown_required_field(db):
    study = factories.StudyFactory()
    study.required_fields = ["infusions.dose", "labs"]
    with pytest.raises(ValidationError) as refused:
        study.full_clean()
    assert refused.value.message_dict["required_fields"] == [
        "“infusions.dose”: infusions has no field “dose”",
        "“labs”: labs has no field “”",
    ]


def test_the_site_figures_and_missing_list(db):
    complete = complete_patient()
    factories.PatientFactory()
    other_site = factories.SiteFactory(code="PUMC")
    factories.PatientFactory(site=other_site)
    study = complete.study
    figures = completeness.site_figures(study, study.sites.all())
    assert [(f.label, f.patients, f.with_missing, f.required, f.missing) for f in figures] == [
        ("BOREN", 2, 1, 12, 6),
        ("PUMC", 1, 1, 6, 6),
        ("All sites", 3, 2, 18, 12),
    ]
    boren = study.sites.filter(code="BOREN")
    assert list(completeness.patients_missing_data(study, boren)) == [
        p for p in Patient.objects.filter(site__code="BOREN", required_missing__gt=0)
    ]
    assert ("CAR-T infusions", 2, 2) in completeness.section_figures(study, study.sites.all())


def test_the_command_counts_the_casebooks_of_patients_stored_before(db):
    patient = factories.PatientFactory()
    Patient.objects.filter(pk=patient.pk).update(required_total=0, required_missing=0)
    SectionStatus.objects.all().delete()
    out = StringIO()
    call_command("casebook_refresh", "HCD19", stdout=out)
    assert out.getvalue() == "Casebooks counted for 1 patients\n"
    patient.refresh_from_db()
    assert (patient.required_total, patient.required_missing) == (6, 6)


def test_grant_role_makes_an_investigator(db):
    site = factories.SiteFactory()
    User.objects.create_user("doctor")
    out = StringIO()
    call_command(
        "grant_role",
        "doctor",
        "HCD19",
        "clinician",
        "--site",
        site.code,
        "--investigator",
        stdout=out,
    )
    assert out.getvalue() == "doctor is now clinician (investigator) in HCD19 at BOREN\n"
