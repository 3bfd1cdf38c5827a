"""The clinicians' pages: a reason for every change, the patient's history, no lost edits."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registry import models, services
from registry.choices import DateFormat
from tests import factories
from tests.clients import page_client_of
from tests.forms import form_fields
from tests.htmx import HTMX

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


@pytest.fixture
def patient():
    patient = factories.PatientFactory(subject_id="P001")
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    return patient


@pytest.fixture
def clinician_client(clinician) -> Client:
    """A plain client: what it posts is all the form holds, reason or not."""
    return page_client_of(clinician)


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


def infusion_form(client, patient) -> tuple[str, dict]:
    """The infusion's edit form as opened, and what it would post back."""
    infusion = patient.infusions.get()
    address = url("section-item-edit", patient.pk, "infusions", infusion.pk)
    fields = form_fields(client.get(address, **HTMX).content.decode())
    return address, {name: value for name, value in fields.items() if name != "csrfmiddlewaretoken"}


def test_it_asks_for_a_reason_to_change_a_saved_record(clinician_client, patient):
    address, data = infusion_form(clinician_client, patient)

    html = clinician_client.post(address, data | {"weight_kg": "61.5"}, **HTMX).content.decode()

    assert 'for="id_change_reason">Reason for change' in html
    assert services.REASON_REQUIRED in html
    assert 'name="weight_kg" value="61.5"' in html
    assert patient.infusions.get().weight_kg == 60.0


def test_it_saves_a_change_with_the_reason_and_the_clinician(clinician_client, patient):
    address, data = infusion_form(clinician_client, patient)
    data |= {"weight_kg": "61.5", "change_reason": "Re-weighed on the day"}

    response = clinician_client.post(address, data, **HTMX)

    assert "CAR-T infusions: saved." in response.content.decode()
    latest = patient.infusions.get().history.first()
    assert (latest.history_user.username, latest.history_change_reason) == (
        "clinician",
        "Re-weighed on the day",
    )


def test_it_adds_a_record_without_a_reason(clinician_client, patient):
    data = {"day": "7", "cells_per_ul": "3.5"}

    response = clinician_client.post(url("section-add", patient.pk, "car_t_counts"), data, **HTMX)

    assert "CAR-T cell counts: saved." in response.content.decode()
    assert patient.car_t_counts.get().history.get().history_user.username == "clinician"


def test_it_refuses_an_edit_made_on_an_older_version_keeping_what_was_typed(
    clinician_client, patient
):
    address, data = infusion_form(clinician_client, patient)
    theirs = patient.infusions.get()
    theirs.lot = "L-7"
    colleague = User.objects.create_user("colleague")
    services.record_save(record=theirs, user=colleague, reason="Lot from the bag label")
    mine = data | {"weight_kg": "61.5", "change_reason": "Re-weighed on the day"}

    html = clinician_client.post(address, mine, **HTMX).content.decode()

    assert "This record was changed by colleague at " in html
    assert "your changes were not saved — reload to see the current values" in html
    assert 'name="weight_kg" value="61.5"' in html
    assert 'value="Re-weighed on the day"' in html
    infusion = patient.infusions.get()
    assert (infusion.lot, infusion.weight_kg, infusion.version) == ("L-7", 60.0, 2)


def test_it_says_when_the_record_changed_in_the_study_s_date_format(clinician_client, patient):
    patient.study.date_format = DateFormat.DAY_MONTH_YEAR
    patient.study.save()
    address, data = infusion_form(clinician_client, patient)
    theirs = patient.infusions.get()
    theirs.lot = "L-7"
    services.record_save(record=theirs, user=None, reason="Lot from the bag label")
    changed_at = timezone.localtime(theirs.history.first().history_date)

    mine = data | {"weight_kg": "61.5", "change_reason": "Re-weighed on the day"}

    html = clinician_client.post(address, mine, **HTMX).content.decode()

    assert f"This record was changed at {changed_at:%d/%m/%Y %H:%M} UTC while" in html


def test_it_asks_for_a_reason_to_delete(clinician_client, patient):
    count = factories.CarTCountFactory(patient=patient)
    address = url("section-item-delete", patient.pk, "car_t_counts", count.pk)

    confirm = clinician_client.get(address, **HTMX).content.decode()
    refused = clinician_client.post(address, {"version": "1"}, **HTMX).content.decode()
    deleted = clinician_client.post(
        address, {"version": "1", "change_reason": "Entered twice"}, **HTMX
    )

    assert "Delete Day 7: 5.2 cells/µL?" in confirm
    assert 'name="change_reason"' in confirm
    assert "Not deleted." in refused and services.REASON_REQUIRED in refused
    assert "deleted" in deleted.content.decode()
    assert models.CarTCount.history.filter(id=count.pk).first().history_change_reason == (
        "Entered twice"
    )


def test_it_shows_the_history_on_the_patient_page(clinician_client, patient):
    address, data = infusion_form(clinician_client, patient)
    clinician_client.post(
        address, data | {"weight_kg": "61.5", "change_reason": "Re-weighed on the day"}, **HTMX
    )

    page = clinician_client.get(url("patient-detail", patient.pk)).content.decode()
    card = clinician_client.get(url("patient-history", patient.pk), **HTMX).content.decode()

    assert f'hx-get="{url("patient-history", patient.pk)}" hx-trigger="load, ' in page
    newest = card.index("Infusion changed")
    assert newest < card.index("Infusion created") < card.index("Patient created")
    assert "by clinician" in card[newest:]
    assert "Reason: Re-weighed on the day" in card
    assert "Weight (kg): 60.0 → 61.5" in card


def test_it_shows_the_history_on_a_page_of_its_own_without_javascript(clinician_client, patient):
    response = clinician_client.get(url("patient-history", patient.pk))

    assert "<title>History · Patient P001" in response.content.decode()
    assert "Lymphodepletion created" in response.content.decode()
