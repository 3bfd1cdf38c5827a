"""Where "not recorded" and "no" differ (issue #21, point 9): each yes-or-no finding that may
be unknown (a nullable boolean: organ function, genetics, toxicity treatments) is a choice
that says Yes, No or Unknown, never a checkbox whose empty box would read as "no"."""

import re

import pytest
from django.db import models as db
from django.urls import reverse

from registry.access import membership_grant
from registry.models import Role
from registry.web.sections import SECTIONS
from tests import factories

pytestmark = pytest.mark.django_db

MAY_BE_UNKNOWN = [
    (section.name, field.name)
    for section in SECTIONS.values()
    for field in section.model._meta.get_fields()
    if isinstance(field, db.BooleanField) and field.null and field.editable
]


@pytest.fixture
def patient(clinician):
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)
    return patient


def form_url(patient, section: str) -> str:
    name = "web:section-add" if SECTIONS[section].many else "web:section-edit"
    return reverse(name, args=[patient.pk, section])


def test_it_finds_the_findings_that_may_be_unknown():
    assert {name for _section, name in MAY_BE_UNKNOWN} >= {
        "adequate_organ_function",
        "tp53_mutation",
        "tocilizumab",
    }


@pytest.mark.parametrize(("section", "field"), MAY_BE_UNKNOWN)
def test_it_offers_yes_no_and_unknown(signed_in, patient, section, field):
    html = signed_in.get(form_url(patient, section)).content.decode()

    select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"{field} is a choice, not a checkbox"
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))
    assert sorted(labels) == ["No", "Unknown", "Yes"]
    assert re.search(r'<option value="unknown" selected>', select.group(1))


@pytest.mark.parametrize(("chosen", "stored", "shown"), [
    ("unknown", None, "Unknown"),
    ("false", False, "Not given"),
    ("true", True, "Given"),
])  # fmt: skip
def test_it_keeps_unknown_apart_from_no(signed_in, patient, chosen, stored, shown):
    url = form_url(patient, "toxicities")

    signed_in.post(url, {"tocilizumab": chosen, "corticosteroids": "unknown"})

    assert patient.toxicities.tocilizumab is stored
    page = signed_in.get(reverse("web:patient-detail", args=[patient.pk])).content.decode()
    assert f"<dt>Tocilizumab</dt><dd>{shown}</dd>" in page
