"""A locked study on the clinicians' pages: said on the patient page, and no save goes in."""

import pytest
from django.urls import reverse

from registry import services
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


def test_it_says_the_study_is_locked_and_refuses_a_change(signed_in):
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    infusion = factories.InfusionFactory(patient=patient)
    services.study_lock(study=patient.study)
    address = reverse("web:section-item-edit", args=[patient.pk, "infusions", infusion.pk])
    data = {
        "date": "2020-01-15",
        "product": "humanized_cd19",
        "weight_kg": "61",
        "cells_per_kg": "240000",
        "version": "1",
    }

    page = signed_in.get(reverse("web:patient-detail", args=[patient.pk])).content.decode()
    html = signed_in.post(address, data, HTTP_HX_REQUEST="true").content.decode()

    assert "Study HCD19 is locked" in page
    assert "Study HCD19 is locked since" in html
    assert "an administrator must unlock it, with a reason, before data can change" in html
    infusion.refresh_from_db()
    assert infusion.weight_kg == 60.0
