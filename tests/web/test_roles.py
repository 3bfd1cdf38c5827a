"""The clinicians' pages as each study role sees them (registry.access): a monitor reads and
changes nothing; a clinician sees, enrols and edits at their own sites only."""

import pytest
from django.urls import reverse

from registry import models
from tests import factories
from tests.api.conftest import full_course
from tests.clients import page_client_of
from tests.htmx import HTMX

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


@pytest.fixture
def boren_patient(owner) -> models.Patient:
    return full_course(subject_id="B01")


@pytest.fixture
def pumc_patient(neighbour) -> models.Patient:
    return full_course(subject_id="U01", site=models.Site.objects.get(code="PUMC"))


def test_a_monitor_sees_no_button_that_changes_anything(teammate, boren_patient):
    client = page_client_of(teammate)

    studies = client.get(url("study-list")).content.decode()
    patients = client.get(url("patient-list", "HCD19")).content.decode()
    page = client.get(url("patient-detail", boren_patient.pk)).content.decode()
    card = client.get(url("section-show", boren_patient.pk, "events"), **HTMX).content.decode()

    assert "Enrol a patient" not in studies + patients
    assert "B01" in patients and "Reason for change" not in page
    assert ">Edit<" not in page and ">Add " not in page and ">Delete<" not in page
    assert "Relapse" in card and ">Edit<" not in card


def test_a_monitor_s_changes_are_refused(teammate, boren_patient):
    client = page_client_of(teammate)
    event = boren_patient.events.first()
    refused = [
        client.get(url("patient-enrol", "HCD19")),
        client.post(url("enrolment-eligibility", "HCD19"), {}),
        client.get(url("section-edit", boren_patient.pk, "lymphodepletion")),
        client.post(url("section-edit", boren_patient.pk, "patient"), {"subject_id": "X"}),
        client.get(url("section-add", boren_patient.pk, "events")),
        client.post(url("section-item-delete", boren_patient.pk, "events", event.pk), {}),
        client.post(url("grades", boren_patient.pk), {}),
        client.post(url("patient-eligibility", boren_patient.pk), {}),
    ]

    assert [response.status_code for response in refused] == [403] * len(refused)
    assert boren_patient.events.filter(pk=event.pk).exists()


def test_a_clinician_sees_only_their_own_sites(neighbour, boren_patient, pumc_patient):
    client = page_client_of(neighbour)

    studies = client.get(url("study-list")).content.decode()
    listed = client.get(url("patient-list", "HCD19")).context["page"].object_list

    assert "PUMC" in studies and "BOREN" not in studies
    assert [patient.subject_id for patient in listed] == ["U01"]
    assert client.get(url("patient-detail", boren_patient.pk)).status_code == 404
    assert ">Edit<" in client.get(url("patient-detail", pumc_patient.pk)).content.decode()


def test_a_clinician_enrols_only_at_their_own_sites(neighbour):
    client = page_client_of(neighbour)
    boren = factories.SiteFactory()

    form = client.get(url("patient-enrol", "HCD19")).context["patient_form"]
    response = client.post(url("patient-enrol", "HCD19"), {"subject_id": "N1", "site": boren.pk})

    assert [site.code for site in form.fields["site"].queryset] == ["PUMC"]
    assert "site" in response.context["patient_form"].errors
    assert not models.Patient.objects.filter(subject_id="N1").exists()


def test_a_clinician_cannot_move_a_patient_to_another_site(neighbour, pumc_patient):
    client = page_client_of(neighbour)
    boren = factories.SiteFactory()
    data = {
        "subject_id": "U01",
        "site": boren.pk,
        "sex": "female",
        "change_reason": "Moved",
        "version": pumc_patient.version,
    }

    response = client.post(url("section-edit", pumc_patient.pk, "patient"), data, **HTMX)

    assert "site" in response.context["card"]["form"].errors
    pumc_patient.refresh_from_db()
    assert pumc_patient.site.code == "PUMC"


def test_a_coordinator_sees_and_edits_every_site(owner, boren_patient):
    factories.PatientFactory(subject_id="U02", site=factories.SiteFactory(code="PUMC"))
    client = page_client_of(owner)

    listed = client.get(url("patient-list", "HCD19")).context["page"].object_list
    page = client.get(url("patient-detail", boren_patient.pk)).content.decode()

    assert [patient.subject_id for patient in listed] == ["B01", "U02"]
    assert ">Edit<" in page and "Enrol a patient" in client.get(url("study-list")).content.decode()


ADMIN_LINK = f'<a href="{reverse("admin:index")}">Admin</a>'


@pytest.mark.parametrize(
    ("user", "shown"),
    [("owner", True), ("admin_user", True), ("neighbour", False), ("teammate", False)],
)
def test_only_coordinators_and_administrators_see_the_admin_link(request, user, shown):
    page = page_client_of(request.getfixturevalue(user)).get(url("study-list")).content.decode()

    assert (ADMIN_LINK in page) is shown
