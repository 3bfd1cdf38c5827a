"""The analysis dataset's CAR-T kinetics read the flow cytometry counts in blood: a qPCR
measurement or a marrow count (cohort format 1.1) is another series."""

import pytest

from analytics.dataset import car_t_counts
from registry import models
from tests import factories
from tests.analytics.test_dataset import infused_patient, row_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient() -> models.Patient:
    patient = infused_patient()
    factories.CarTCountFactory(patient=patient, day=7, cells_per_ul=5.2)
    factories.CarTCountFactory(patient=patient, day=14, cells_per_ul=None, copies_per_ug_dna=9e4)
    factories.CarTCountFactory(patient=patient, day=14, cells_per_ul=80.0, specimen="bm")
    return patient


def test_the_kinetics_leave_out_qpcr_and_marrow(patient):
    row = row_of(patient)

    assert (row["car_t_cmax_cells_per_ul"], row["car_t_tmax_day"]) == (5.2, 7)


def test_the_expansion_curves_leave_out_qpcr_and_marrow(patient):
    counts = car_t_counts(models.Patient.objects.filter(pk=patient.pk))

    assert counts == {patient.subject_id: [(7, 5.2)]}
