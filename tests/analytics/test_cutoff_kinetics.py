"""The clinical cut-off and the CAR-T kinetics: a count of a day after the cut-off does not
count (analytics.cutoff), in every answer built on the analysis frame."""

from datetime import date

import pytest

from registry import models
from tests import factories

INFUSED = date(2021, 7, 10)  # the cut-off, 2021-07-31 (the study's), is day 21
# (day, cells/µL): a second, higher peak on day 28 and a last detectable count on day 60,
# both after the cut-off.
COUNTS = ((0, 0.0), (7, 5.2), (14, 2.0), (21, 1.0), (28, 8.0), (60, 0.5))
MEASURES = (
    "detected",
    "cmax_cells_per_ul",
    "tmax_day",
    "auc_0_28",
    "last_detected_day",
)


def counted(subject_id: str, counts) -> models.Patient:
    patient = factories.PatientFactory(subject_id=subject_id, last_contact_date=date(2021, 12, 1))
    factories.InfusionFactory(patient=patient, date=INFUSED)
    for day, level in counts:
        factories.CarTCountFactory(patient=patient, day=day, cells_per_ul=level)
    return patient


@pytest.fixture
def expanding_after_the_cutoff(reader) -> models.Patient:
    return counted("K01", COUNTS)


def kinetics(analytics, study_id: str = "K01", **params) -> tuple:
    response = analytics("kinetics", **params)
    assert response.status_code == 200, response.content
    (found,) = [row for row in response.json()["patients"] if row["study_id"] == study_id]
    return tuple(found[measure] for measure in MEASURES)


def test_the_kinetics_count_only_the_counts_up_to_the_cutoff(analytics, expanding_after_the_cutoff):
    # By hand, days 0-21 (the last sample before day 28: the area stops there):
    # 7*(0+5.2)/2 + 7*(5.2+2.0)/2 + 7*(2.0+1.0)/2 = 18.2 + 25.2 + 10.5.
    assert kinetics(analytics) == (True, 5.2, 7, pytest.approx(53.9), 21)
    # Every count: the day-28 peak, and 7*(1.0+8.0)/2 = 31.5 more up to day 28.
    assert kinetics(analytics, cutoff="none") == (True, 8.0, 28, pytest.approx(85.4), 60)


def test_a_patient_first_detected_after_the_cutoff_was_not_detected_by_it(analytics, reader):
    counted("K02", ((7, 0.0), (14, 0.0), (28, 3.0)))
    # By hand: nothing above detection up to day 21; the area of zeros is 0.
    assert kinetics(analytics, "K02") == (False, 0.0, None, 0.0, None)
    # Every count: 14*(0+3.0)/2 = 21 from day 14 to day 28.
    assert kinetics(analytics, "K02", cutoff="none") == (True, 3.0, 28, 21.0, 28)


def test_a_patient_counted_only_after_the_cutoff_has_no_kinetics_at_it(analytics, reader):
    counted("K03", ((28, 3.0),))
    assert kinetics(analytics, "K03") == (None, None, None, None, None)
    response = analytics("kinetics").json()
    assert (response["with_counts"], response["detected"]) == (0, 0)
    assert analytics("kinetics", cutoff="none").json()["with_counts"] == 1


def test_the_dataset_gives_the_kinetics_at_the_cutoff(analytics, expanding_after_the_cutoff):
    def row(**params) -> dict:
        (found,) = analytics("dataset", **params).json()["results"]
        return found

    cut = row()
    assert (cut["car_t_cmax_cells_per_ul"], cut["car_t_count_last_day"]) == (5.2, 21)
    everything = row(cutoff="none")
    assert (everything["car_t_cmax_cells_per_ul"], everything["car_t_count_last_day"]) == (8.0, 60)


def test_a_split_by_peak_takes_the_peak_at_the_cutoff(analytics, expanding_after_the_cutoff):
    factories.ResponseAssessmentFactory(patient=expanding_after_the_cutoff, day=21)

    def groups(**params) -> list:
        answer = analytics("response", by="car_t_cmax_cells_per_ul", cut=6, **params).json()
        return [group["value"] for group in answer["groups"]]

    assert groups() == ["<6"]
    assert groups(cutoff="none") == [">=6"]
