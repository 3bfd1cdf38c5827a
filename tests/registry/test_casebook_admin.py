"""The casebook in the admin: a study's administrator ticks its required fields and the
casebooks follow; sections verified there; the investigator flag; outsiders see nothing."""

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse

from registry import casebook
from registry.models import CasebookSignature, Membership, Patient, Role, SectionStatus
from tests import factories
from tests.conftest import PASSWORD, user_with_role
from tests.forms import form_fields
from tests.races import patient_deleted_first
from tests.registry.test_casebook import complete_patient

pytestmark = pytest.mark.django_db


def study_page(study) -> str:
    return reverse("admin:registry_study_change", args=[study.pk])


def test_a_study_administrator_ticks_a_required_field_and_the_casebooks_follow(client):
    patient = complete_patient()
    study = patient.study
    client.force_login(user_with_role("chief", Role.ADMIN, patient.site))
    data = form_fields(client.get(study_page(study)).content.decode())
    assert data["required_fields"] == list(study.required_fields)
    data["required_fields"] = [*study.required_fields, "genetics.tp53_mutation"]
    answer = client.post(study_page(study), data)
    assert answer.status_code == 302
    patient.refresh_from_db()
    assert (patient.required_total, patient.required_missing) == (7, 1)


def test_an_unknown_required_field_is_refused_and_nothing_saved(client):
    patient = complete_patient()
    study = patient.study
    client.force_login(user_with_role("chief", Role.ADMIN, patient.site))
    data = form_fields(client.get(study_page(study)).content.decode())
    data["required_fields"] = ["infusions.dose"]
    answer = client.post(study_page(study), data)
    assert answer.status_code == 200
    assert "Select a valid choice. infusions.dose is not one of" in answer.content.decode()
    study.refresh_from_db()
    assert "infusions.dose" not in study.required_fields


def test_a_coordinator_reads_the_required_fields_without_changing_them(client):
    patient = complete_patient()
    client.force_login(user_with_role("coordinator", Role.COORDINATOR, patient.site))
    data = {"required_fields": ["genetics.tp53_mutation"]}
    assert client.post(study_page(patient.study), data).status_code == 403


def test_a_study_administrator_verifies_sections_in_the_admin(client):
    patient = complete_patient()
    client.force_login(user_with_role("chief", Role.ADMIN, patient.site))
    rows = SectionStatus.objects.filter(patient=patient, section__in=["infusions", "patient"])
    rows = list(rows.order_by("section"))
    answer = client.post(
        reverse("admin:registry_sectionstatus_changelist"),
        {"action": "verify", "_selected_action": [row.pk for row in rows]},
        follow=True,
    )
    assert "CAR-T infusions verified." in answer.content.decode()
    assert SectionStatus.objects.get(patient=patient, section="infusions").status == "verified"


def test_a_coordinator_is_refused_verification_in_words(client):
    patient = complete_patient()
    client.force_login(user_with_role("coordinator", Role.COORDINATOR, patient.site))
    row = SectionStatus.objects.get(patient=patient, section="infusions")
    answer = client.post(
        reverse("admin:registry_sectionstatus_changelist"),
        {"action": "verify", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "Only the monitors and administrators of HCD19 verify source data" in (
        answer.content.decode()
    )
    row.refresh_from_db()
    assert row.status == "complete"


def test_an_outsider_sees_no_casebook_in_the_admin(client, outsider):
    patient = complete_patient()
    signer = User.objects.create_user("signer", password=PASSWORD)
    Membership.objects.create(
        user=signer, study=patient.study, role=Role.CLINICIAN, investigator=True
    ).sites.set([patient.site])
    casebook.casebook_sign(patient=patient, user=signer, password=PASSWORD)
    client.force_login(outsider)
    statuses = client.get(reverse("admin:registry_sectionstatus_changelist"))
    assert statuses.status_code == 200
    assert "0 section statuses" in statuses.content.decode()
    signatures = client.get(reverse("admin:registry_casebooksignature_changelist"))
    assert "0 casebook signatures" in signatures.content.decode()
    row = SectionStatus.objects.filter(patient=patient).first()
    change = reverse("admin:registry_sectionstatus_change", args=[row.pk])
    assert client.get(change).status_code == 404
    signature = CasebookSignature.objects.get()
    change = reverse("admin:registry_casebooksignature_change", args=[signature.pk])
    assert client.get(change).status_code == 404


def test_the_admin_gives_the_investigator_flag_to_a_clinician_only(client, admin_user):
    site = factories.SiteFactory()
    user = User.objects.create_user("doctor")
    client.force_login(admin_user)
    add = reverse("admin:registry_membership_add")
    base = {"user": user.pk, "study": site.study.pk, "investigator": "on"}
    refused = client.post(add, {**base, "role": Role.MONITOR})
    assert "An investigator is a clinician at named sites" in refused.content.decode()
    granted = client.post(add, {**base, "role": Role.CLINICIAN, "sites": [site.pk]})
    assert granted.status_code == 302
    assert Membership.objects.get(user=user).investigator


def test_the_patient_list_filters_by_casebook(client, admin_user):
    complete_patient()
    factories.PatientFactory(subject_id="GAPS")
    client.force_login(admin_user)
    listed = client.get(reverse("admin:registry_patient_changelist") + "?missing_data=true")
    assert ">GAPS<" in listed.content.decode()
    assert Patient.objects.filter(required_missing=0).count() == 1
    complete = Patient.objects.get(required_missing=0).subject_id
    assert f">{complete}<" not in listed.content.decode()


def test_a_section_whose_patient_went_after_the_list_read_it_is_not_verified(client, monkeypatch):
    """Another user deletes the patient between the list's read of the selected rows and
    their verification: the admin says so for the row, not a server error."""
    patient = complete_patient()
    chief = user_with_role("chief", Role.ADMIN, patient.site)
    client.force_login(chief)
    row = SectionStatus.objects.get(patient=patient, section="infusions")
    patient_deleted_first(monkeypatch, casebook, "section_verify", patient, chief)

    answer = client.post(
        reverse("admin:registry_sectionstatus_changelist"),
        {"action": "verify", "_selected_action": [row.pk]},
    )

    [message] = [str(each) for each in get_messages(answer.wsgi_request)]
    assert message.startswith(f"{patient}: CAR-T infusions: The patient was deleted by chief at ")
    assert not SectionStatus.objects.exists()
