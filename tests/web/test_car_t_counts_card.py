"""The patient page's CAR-T counts: flow cytometry and qPCR side by side, per specimen."""

import pytest
from django.urls import reverse

from registry.access import membership_grant
from registry.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_shows_a_qpcr_count_as_measured_not_as_undetectable(signed_in, clinician):
    patient = factories.PatientFactory(subject_id="P001")
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)
    factories.CarTCountFactory(patient=patient, day=14, cells_per_ul=None,
                               copies_per_ug_dna=41000, specimen="bm")  # fmt: skip

    page = signed_in.get(reverse("web:patient-detail", args=[patient.pk])).content.decode()

    assert "41000 copies/µg DNA" in page
    assert "Not detectable" not in page
    # Found walking the pages: the specimen was shown as its code, "bm".
    assert '<td data-label="Specimen">bone marrow</td>' in page
