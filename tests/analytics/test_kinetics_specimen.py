"""The CAR-T kinetics read in the study's specimen (Study.car_t_kinetics_specimen): blood
unless the study says otherwise (clinical rules, "Biomarkers": each series from
peripheral blood unless the study says otherwise)."""

from datetime import date

import pytest

from analytics.dataset import car_t_counts
from registry import models
from tests import factories

INFUSED = date(2021, 6, 1)


@pytest.fixture
def counted(reader) -> models.Patient:
    """Flow counts in blood 5 and 2 cells/µL on days 7 and 14; in marrow 50 and 20, with
    qPCR 1e4 and 3e3 copies/µg DNA, and 0 cells/µL on day 28."""
    patient = factories.PatientFactory(subject_id="K01", last_contact_date=date(2021, 12, 1))
    factories.InfusionFactory(patient=patient, date=INFUSED)
    for day, level in ((7, 5.0), (14, 2.0)):
        factories.CarTCountFactory(patient=patient, day=day, cells_per_ul=level)
    for day, level, copies in ((7, 50.0, 1e4), (14, 20.0, 3e3), (28, 0.0, 0.0)):
        factories.CarTCountFactory(
            patient=patient, day=day, cells_per_ul=level, copies_per_ug_dna=copies, specimen="bm"
        )
    return patient


def kinetics(analytics) -> tuple:
    response = analytics("dataset", cutoff="none")
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    names = (
        "car_t_cmax_cells_per_ul",
        "car_t_auc_0_28",
        "car_t_last_detected_day",
        "car_t_cmax_copies_per_ug",
    )
    return tuple(row[name] for name in names)


def test_the_kinetics_are_read_in_blood_by_default(analytics, counted):
    # Blood: AUC0-28 from (0, 0): 7*5/2 + 7*(5+2)/2 = 17.5 + 24.5 = 42, not extrapolated
    # past day 14; no qPCR value in blood.
    assert kinetics(analytics) == (5.0, 42.0, 14, None)


def test_a_study_that_reads_them_in_marrow_reads_the_marrow_counts(analytics, counted):
    study = counted.study
    study.car_t_kinetics_specimen = "bm"
    study.save(update_fields=["car_t_kinetics_specimen"])
    # Marrow: 7*50/2 + 7*(50+20)/2 + 14*(20+0)/2 = 175 + 245 + 140 = 560; persistence day
    # 14 (0 on day 28); qPCR Cmax 1e4. The stored row is computed again: the study's
    # setting stamps its patients.
    assert kinetics(analytics) == (50.0, 560.0, 14, 1e4)


def test_the_expansion_curves_follow_the_setting(counted):
    study = counted.study
    assert car_t_counts(study.patients.all()) == {"K01": [(7, 5.0), (14, 2.0)]}
    study.car_t_kinetics_specimen = "bm"
    study.save()
    assert car_t_counts(study.patients.all()) == {"K01": [(7, 50.0), (14, 20.0), (28, 0.0)]}


@pytest.mark.django_db(transaction=True)
def test_an_answer_asked_before_the_setting_changed_is_not_served_after(analytics, counted):
    # Committed, as in a running registry: the setting's write moves the study's setup
    # token once it commits, and every answer filed under the old one is left behind.
    assert kinetics(analytics) == (5.0, 42.0, 14, None)
    study = counted.study
    study.car_t_kinetics_specimen = "bm"
    study.save(update_fields=["car_t_kinetics_specimen"])
    assert kinetics(analytics) == (50.0, 560.0, 14, 1e4)
