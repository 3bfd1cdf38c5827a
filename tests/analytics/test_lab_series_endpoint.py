"""GET .../analytics/biomarkers/series/: a laboratory value's median and quartiles by day
after infusion, through real HTTP, with the patient filters, the clinical cut-off, the
as-recorded date, the cache and its bad parameters."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from registry import models
from tests import factories
from tests.trail import age_the_trail


@pytest.fixture
def cohort(lab_patient) -> None:
    """Three patients' IL-6 (pg/mL) and ANC, one ANC in /µL, one IL-6 below detection, an
    IL-6 in marrow and values after the cut-off."""
    lab_patient(
        "L01",
        [
            (-2, "il6", 4.0, "pg/mL"),
            (1, "il6", 120.0, "pg/mL"),
            (7, "anc", 200.0, "/uL"),
            (28, "il6", 9.0, "pg/mL"),
        ],
    )
    lab_patient(
        "L02",
        [(0, "il6", 6.0, "pg/mL"), (1, "il6", 40.0, "pg/mL"), (7, "anc", 0.6, "10^9/L")],
        sex="male",
    )
    lab_patient("L03", [(1, "il6", ("<", 2.0), "pg/mL"), (2, "il6", 15.0, "pg/mL")])
    factories.LabResultFactory(
        patient=models.Patient.objects.get(subject_id="L03"),
        day=1,
        analyte="il6",
        value=500.0,
        unit="pg/mL",
        specimen="csf",
    )


def series(analytics, **params) -> dict:
    response = analytics("biomarkers/series", **params)
    assert response.status_code == 200, response.content
    return response.json()


def by_day(answer: dict) -> dict:
    return {day["day"]: (day["n"], day["q1"], day["median"], day["q3"]) for day in answer["days"]}


pytestmark = pytest.mark.usefixtures("cohort")


def test_it_gives_the_median_and_quartiles_by_day(analytics):
    answer = series(analytics, analyte="il6")
    # Day 1, by hand: 0 (L03, below detection), 40 (L02), 120 (L01); R quantile(c(0, 40,
    # 120)) -> 20, 40, 80. Day 0 (baseline): L01's day -2 (4) and L02's day 0 (6). L01's
    # day 28 is after the study's cut-off (day 21) and L03's CSF value is another specimen.
    assert by_day(answer) == {
        0: (2, 4.5, 5.0, 5.5),
        1: (3, 20.0, 40.0, 80.0),
        2: (1, 15.0, 15.0, 15.0),
    }
    assert answer["days"][1]["below_detection"] == 1
    assert (answer["unit"], answer["analyte_name"], answer["specimen"]) == ("pg/mL", "IL-6", "pb")
    assert (answer["patients"], answer["values"], answer["cutoff"]) == (3, 6, "2021-07-31")


def test_it_takes_the_analyte_in_any_case(analytics):
    assert by_day(series(analytics, analyte="IL6")) == by_day(series(analytics, analyte="il6"))


def test_it_converts_values_recorded_in_another_unit(analytics):
    # L01's 200/µL is 0.2 x10^9/L; L02's 0.6 x10^9/L: median 0.4, R quantile(c(0.2, 0.6))
    # -> 0.3, 0.4, 0.5.
    assert by_day(series(analytics, analyte="anc")) == {7: (2, 0.3, 0.4, 0.5)}
    assert by_day(series(analytics, analyte="anc", unit="/uL")) == {7: (2, 300.0, 400.0, 500.0)}


def test_it_ignores_values_after_the_cutoff(analytics):
    everything = series(analytics, analyte="il6", cutoff="none")
    assert by_day(everything)[28] == (1, 9.0, 9.0, 9.0)
    assert 28 not in by_day(series(analytics, analyte="il6"))
    # A cut-off on 2021-07-11 is day 1: L03's day-2 value is left out.
    early = series(analytics, analyte="il6", cutoff="2021-07-11")
    assert set(by_day(early)) == {0, 1}


def test_it_reads_another_specimen(analytics):
    assert by_day(series(analytics, analyte="il6", specimen="csf")) == {1: (1, 500.0, 500.0, 500.0)}


def test_it_takes_the_patient_filters(analytics):
    # L02 is the only man: day 0 (6), day 1 (40).
    males = series(analytics, analyte="il6", sex="male")
    assert by_day(males) == {0: (1, 6.0, 6.0, 6.0), 1: (1, 40.0, 40.0, 40.0)}
    assert series(analytics, analyte="il6", search="L03")["patients"] == 1


def test_it_gives_each_patient_s_values_when_asked(analytics):
    answer = series(analytics, analyte="il6", per_patient="true", search="L03")
    assert answer["series"] == [
        {"study_id": "L03", "day": 1, "value": 2.0, "below_detection": True},
        {"study_id": "L03", "day": 2, "value": 15.0, "below_detection": False},
    ]
    assert "series" not in series(analytics, analyte="il6")


def test_it_reads_the_values_in_one_query_whatever_the_number_of_patients(analytics, lab_patient):
    for number in range(4, 14):
        lab_patient(f"L{number:02d}", [(1, "il6", float(number), "pg/mL")])
    # The patients' analysis rows, which read their lab values too, are stored first.
    series(analytics, analyte="anc")
    with CaptureQueriesContext(connection) as queries:
        assert series(analytics, analyte="il6")["days"][1]["n"] == 13
    lab_reads = [query for query in queries if "registry_labresult" in query["sql"]]
    assert len(lab_reads) == 1


def test_it_answers_a_repeated_request_from_the_cache(analytics, django_assert_max_num_queries):
    first = series(analytics, analyte="il6")
    # The study, the sites the reader reads and the data version, as every cached answer.
    with django_assert_max_num_queries(3):
        assert series(analytics, analyte="il6") == first


def test_a_new_value_changes_the_answer(analytics):
    before = series(analytics, analyte="il6")
    patient = models.Patient.objects.get(subject_id="L02")
    factories.LabResultFactory(patient=patient, day=2, analyte="il6", value=35.0, unit="pg/mL")
    after = series(analytics, analyte="il6")
    assert by_day(before)[2] == (1, 15.0, 15.0, 15.0)
    assert by_day(after)[2] == (2, 20.0, 25.0, 30.0)


def test_as_recorded_on_a_day_it_leaves_out_later_entries(analytics):
    entered = timezone.localdate() - timedelta(days=3)
    age_the_trail(entered)
    patient = models.Patient.objects.get(subject_id="L02")
    factories.LabResultFactory(patient=patient, day=2, analyte="il6", value=35.0, unit="pg/mL")
    then = series(analytics, analyte="il6", as_of=(entered + timedelta(days=1)).isoformat())
    assert by_day(then)[2] == (1, 15.0, 15.0, 15.0)
    assert then["as_of"] == (entered + timedelta(days=1)).isoformat()
    before = series(analytics, analyte="il6", as_of=(entered - timedelta(days=1)).isoformat())
    assert (before["patients"], before["days"]) == (0, [])


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({}, "analyte", "required"),
        ({"analyte": "il7"}, "analyte", "Allowed: anc (ANC)"),
        ({"analyte": "il6", "specimen": "urine"}, "specimen", "Allowed: pb (peripheral blood)"),
        ({"analyte": "anc", "unit": "pg/mL"}, "unit", "Allowed: 10^9/L, /uL"),
        ({"analyte": "il6", "per_patient": "maybe"}, "per_patient", "valid boolean"),
        ({"analyte": "il6", "cutoff": "31/07/2021"}, "cutoff", ""),
        ({"analyte": "il6", "sex": "other"}, "sex", ""),
        ({"analyte": "il6", "analyt": "il6"}, "analyt", ""),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(analytics, params, field, words):
    response = analytics("biomarkers/series", **params)
    assert response.status_code == 400
    assert field in response.json()
    assert words in " ".join(response.json()[field])


def test_it_needs_a_role_in_the_study(anonymous_client):
    response = anonymous_client.get(
        "/api/v1/studies/HCD19/analytics/biomarkers/series/?analyte=il6"
    )
    assert response.status_code == 401


def test_it_is_not_there_for_someone_without_a_role_in_the_study(db):
    outsider = APIClient()
    outsider.force_authenticate(User.objects.create_user("outsider", password="outsider-pw-1"))
    response = outsider.get("/api/v1/studies/HCD19/analytics/biomarkers/series/?analyte=il6")
    assert response.status_code == 404
