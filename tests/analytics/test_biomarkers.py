"""GET .../analytics/biomarkers/: the cytokine-peak table (the seed's Table S3), the peak in
days 0–30 of IL-6, IFN-γ, IL-10, ferritin and CRP by CRS grade group (0–1 against 2 or
higher), worked by hand."""

from datetime import date

import pytest

from registry import models
from tests import factories

pytestmark = pytest.mark.django_db

# (study id, recorded CRS grade or None, IL-6 values (day, pg/mL)): the peak is the highest
# value in days 0-30, so a day-40 value never counts.
PATIENTS = [
    ("B01", 0, [(0, 5.0), (3, 20.0), (40, 9000.0)]),
    ("B02", 1, [(2, 50.0)]),
    ("B03", 1, [(1, 30.0), (4, 80.0)]),
    ("B04", 2, [(5, 400.0)]),
    ("B05", 3, [(3, 1000.0), (6, 700.0)]),
    ("B06", 4, [(2, 2500.0)]),
    ("B07", None, [(4, 60.0)]),  # no CRS grade: in the overall summary only
    ("B08", 1, []),  # no IL-6 value: counted in its group's patients, not in the peaks
]


@pytest.fixture
def cohort(reader) -> None:
    for subject_id, crs, il6 in PATIENTS:
        patient = factories.PatientFactory(subject_id=subject_id)
        factories.InfusionFactory(patient=patient)
        if crs is not None:
            models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=crs)
        for day, value in il6:
            factories.LabResultFactory(
                patient=patient, day=day, analyte="il6", value=value, unit="pg/mL"
            )


def peaks(analytics, **params) -> dict:
    response = analytics("biomarkers", cutoff="none", **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_it_summarises_the_il6_peak_by_crs_grade_group(analytics, cohort):
    answer = peaks(analytics)
    assert (answer["n"], answer["crs_groups"]) == (8, {"0-1": 4, "2-4": 3})
    il6 = answer["peaks"][0]
    assert (il6["analyte"], il6["unit"], il6["column"]) == ("il6", "pg/mL", "il6_peak_pg_ml")
    # Peaks 20, 50, 80, 400, 1000, 2500 and 60: sorted 20 50 60 80 400 1000 2500, median 80.
    assert il6["overall"] == {"n": 7, "median": 80.0, "min": 20.0, "max": 2500.0}
    # Grade 0-1: 20, 50, 80 (B08 has no value): median 50. Grade 2-4: 400, 1000, 2500.
    assert il6["by_crs_grade"] == [
        {"crs_grade": "0-1", "n": 3, "median": 50.0, "min": 20.0, "max": 80.0},
        {"crs_grade": "2-4", "n": 3, "median": 1000.0, "min": 400.0, "max": 2500.0},
    ]
    # R: wilcox.test(c(20, 50, 80), c(400, 1000, 2500))$p.value is 0.1 (exact: the groups
    # do not overlap, 2 of the 20 orderings are as extreme).
    assert il6["rank_sum_p"] == pytest.approx(0.1)
    # Days of the peaks: 3 2 4 5 3 2 4, median 3.
    assert il6["peak_day"] == {"n": 7, "median": 3.0, "min": 2.0, "max": 5.0}


def test_an_analyte_without_values_has_empty_summaries(analytics, cohort):
    ferritin = peaks(analytics)["peaks"][3]
    assert (ferritin["analyte"], ferritin["unit"]) == ("ferritin", "ng/mL")
    assert ferritin["overall"] == {"n": 0, "median": None, "min": None, "max": None}
    assert ferritin["rank_sum_p"] is None


def test_it_takes_the_patient_filters(analytics, cohort):
    il6 = peaks(analytics, search="B04")["peaks"][0]
    assert [group["n"] for group in il6["by_crs_grade"]] == [0, 1]


def test_it_counts_the_values_known_at_the_clinical_cutoff(analytics, reader):
    # Infused 2021-07-10, the study's cut-off 2021-07-31 is day 21: the day-25 IL-6 is not
    # known at it.
    patient = factories.PatientFactory(subject_id="B20", last_contact_date=date(2022, 1, 1))
    factories.InfusionFactory(patient=patient, date=date(2021, 7, 10))
    for day, value in ((7, 300.0), (25, 900.0)):
        factories.LabResultFactory(
            patient=patient, day=day, analyte="il6", value=value, unit="pg/mL"
        )
    at_cutoff = analytics("biomarkers").json()["peaks"][0]["overall"]
    assert (at_cutoff["max"], peaks(analytics)["peaks"][0]["overall"]["max"]) == (300.0, 900.0)


def test_a_bad_parameter_is_named(analytics, cohort):
    response = analytics("biomarkers", population="everyone")
    assert response.status_code == 400
    assert "population" in response.json()


def test_someone_without_a_role_in_the_study_finds_nothing(cohort, anonymous_client):
    response = anonymous_client.get("/api/v1/studies/HCD19/analytics/biomarkers/")
    assert response.status_code in (401, 403)
