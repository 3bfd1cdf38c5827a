"""The casebook on the pages: the patient page's card, verifying and signing there, the
list's badges and filters, and a study's missing data by site."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from registry import casebook
from registry.models import CasebookSignature, SectionStatus
from tests import factories
from tests.clients import page_client_of
from tests.conftest import PASSWORD
from tests.races import patient_deleted_first
from tests.registry.test_casebook import complete_patient

pytestmark = pytest.mark.django_db


def page_of(patient) -> str:
    return reverse("web:patient-detail", args=[patient.pk])


def test_the_patient_page_names_the_missing_fields(owner):
    patient = factories.PatientFactory()
    html = page_client_of(owner).get(page_of(patient)).content.decode()
    assert "6 of 6 required fields missing" in html
    assert "dose (CAR-positive viable cells/kg)" in html
    assert 'action="' + reverse("web:casebook-sign", args=[patient.pk]) not in html


def test_a_monitor_verifies_a_section_on_the_page(teammate):
    patient = complete_patient()
    client = page_client_of(teammate)
    verify = reverse("web:casebook-verify", args=[patient.pk, "infusions"])
    assert verify in client.get(page_of(patient)).content.decode()
    answer = client.post(verify, follow=True)
    assert "CAR-T infusions verified." in answer.content.decode()
    assert SectionStatus.objects.get(patient=patient, section="infusions").status == "verified"


def test_verifying_an_incomplete_section_says_what_is_missing(teammate):
    patient = factories.PatientFactory()
    verify = reverse("web:casebook-verify", args=[patient.pk, "infusions"])
    answer = page_client_of(teammate).post(verify, follow=True)
    assert (
        "CAR-T infusions cannot be verified: dose (CAR-positive viable cells/kg) missing"
        in answer.content.decode()
    )


def test_a_clinician_does_not_verify(investigator):
    patient = complete_patient()
    verify = reverse("web:casebook-verify", args=[patient.pk, "infusions"])
    answer = page_client_of(investigator).post(verify, follow=True)
    assert "Only the monitors and administrators of HCD19 verify source data" in (
        answer.content.decode()
    )
    assert SectionStatus.objects.get(patient=patient, section="infusions").status == "complete"


def test_an_investigator_signs_on_the_page(investigator):
    patient = complete_patient()
    client = page_client_of(investigator)
    html = client.get(page_of(patient)).content.decode()
    assert "I confirm the data of this casebook are complete and accurate" in html
    sign = reverse("web:casebook-sign", args=[patient.pk])
    answer = client.post(sign, {"password": PASSWORD}, follow=True)
    assert "Casebook signed." in answer.content.decode()
    assert "Signed by investigator" in answer.content.decode()


def test_a_wrong_password_signs_nothing_and_says_so(investigator):
    patient = complete_patient()
    sign = reverse("web:casebook-sign", args=[patient.pk])
    answer = page_client_of(investigator).post(sign, {"password": "guess"}, follow=True)
    assert "The password is not correct" in answer.content.decode()
    assert not CasebookSignature.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "neighbour"])
def test_an_outsider_or_another_site_finds_nothing(request, who):
    patient = complete_patient()
    client = page_client_of(request.getfixturevalue(who))
    verify = reverse("web:casebook-verify", args=[patient.pk, "infusions"])
    sign = reverse("web:casebook-sign", args=[patient.pk])
    assert client.post(verify).status_code == 404
    assert client.post(sign, {"password": PASSWORD}).status_code == 404
    casebook_part = reverse("web:patient-part", args=[patient.pk, "casebook"])
    assert client.get(casebook_part).status_code == 404


def test_the_missing_data_page_counts_the_users_sites(owner, neighbour, outsider):
    factories.PatientFactory(subject_id="B1")
    complete_patient()
    factories.PatientFactory(subject_id="U1", site=factories.SiteFactory(code="PUMC"))
    address = reverse("web:study-completeness", args=["HCD19"])
    html = page_client_of(owner).get(address).content.decode()
    assert "2 patients with required data missing" in html
    assert ">B1<" in html and ">U1<" in html
    theirs = page_client_of(neighbour).get(address).content.decode()
    assert ">U1<" in theirs and ">B1<" not in theirs
    refused = page_client_of(neighbour).get(address + "?site=BOREN").content.decode()
    assert "No site &#x27;BOREN&#x27; among yours: PUMC" in refused
    assert page_client_of(outsider).get(address).status_code == 404


def test_the_list_shows_and_filters_the_casebook(owner, investigator):
    signed = complete_patient()
    factories.PatientFactory(subject_id="GAPS")
    page_client_of(investigator).post(
        reverse("web:casebook-sign", args=[signed.pk]), {"password": PASSWORD}
    )
    address = reverse("web:patient-list", args=["HCD19"])
    html = page_client_of(owner).get(address).content.decode()
    assert ">Signed<" in html and ">Missing data<" in html
    only_signed = page_client_of(owner).get(address + "?casebook_signed=true").content.decode()
    assert signed.subject_id in only_signed and "GAPS" not in only_signed
    missing = page_client_of(owner).get(address + "?missing_data=true").content.decode()
    assert "GAPS" in missing and f">{signed.subject_id}<" not in missing


@pytest.mark.parametrize(
    ("step", "who", "address", "body"),
    [
        ("casebook_sign", "investigator", "web:casebook-sign", {"password": PASSWORD}),
        ("section_verify", "teammate", "web:casebook-verify", {}),
    ],
)
def test_a_step_on_a_patient_deleted_since_it_was_read_says_so_on_the_patient_list(
    request, monkeypatch, owner, step, who, address, body
):
    """Another user deletes the patient after the page's request read it: nothing is signed
    or verified, and the study's patient list says why, not a server error."""
    patient = complete_patient()
    client = page_client_of(request.getfixturevalue(who))
    patient_deleted_first(monkeypatch, casebook, step, patient, owner)
    arguments = [patient.pk] if step == "casebook_sign" else [patient.pk, "infusions"]

    answer = client.post(reverse(address, args=arguments), body)

    assert answer.url == reverse("web:patient-list", args=["HCD19"])
    [message] = [str(each) for each in get_messages(answer.wsgi_request)]
    assert message.startswith("The patient was deleted by owner at ")
    assert not CasebookSignature.objects.exists()
    assert not SectionStatus.objects.exists()
