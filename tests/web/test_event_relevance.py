"""A follow-up event's fields of one kind (issue #21, point 9): the page marks a relapse's
CD19 status and a death's cause to show only with that kind, and refuses, in words, one
posted with another kind (a browser without the script shows every field)."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from registry.access import membership_grant
from registry.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User):
    """Infused 15 Jan 2020; the signed-in user enters its data."""
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)
    return patient


def add_event_url(patient) -> str:
    return reverse("web:section-add", args=[patient.pk, "events"])


def shown_when(html: str, field: str) -> str:
    """The choice the field's wrapper shows with, read by static/js/relevance.js."""
    wrapper = re.search(rf'<div class="field[^"]*"([^>]*)>\s*<label for="id_{field}"', html)
    found = re.search(r'data-shown-when="([^"]*)"', wrapper.group(1))
    return found.group(1) if found else ""


@pytest.mark.parametrize(
    ("field", "kind"),
    [("cd19", "relapse"), ("cause", "death"), ("description", "other_therapy")],
)
def test_it_marks_a_field_to_show_only_with_its_kind_of_event(signed_in, patient, field, kind):
    html = signed_in.get(add_event_url(patient)).content.decode()

    assert shown_when(html, field) == f"kind={kind}"


def test_it_marks_neither_the_kind_nor_the_date(signed_in, patient):
    html = signed_in.get(add_event_url(patient)).content.decode()

    assert shown_when(html, "kind") == ""
    assert shown_when(html, "date") == ""


def test_it_refuses_a_cause_of_death_posted_with_a_relapse(signed_in, patient):
    factories.ResponseAssessmentFactory(patient=patient)
    data = {"kind": "relapse", "date": "2020-06-01", "cd19": "positive", "cause": "disease"}

    response = signed_in.post(add_event_url(patient), data)

    assert "A cause is recorded only with a death" in response.content.decode()
    assert not patient.events.exists()


def test_it_refuses_a_cd19_status_posted_with_a_death(signed_in, patient):
    data = {"kind": "death", "date": "2020-06-01", "cd19": "negative", "cause": "disease"}

    response = signed_in.post(add_event_url(patient), data)

    assert "A CD19 status is recorded only with a relapse" in response.content.decode()
    assert not patient.events.exists()
