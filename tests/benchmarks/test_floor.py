"""Each analytics endpoint's floor (benchmarks.floor, paired in benchmarks.analytics) computes
the endpoint's own figures: a floor computing something else would make cold / floor
meaningless. On a 300-patient synthetic cohort, through the API."""

import json
import math

import pandas as pd
import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from analytics.dataset import analysis_rows
from benchmarks.analytics import ENDPOINTS, SERIES_ENDPOINTS, day_series
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.models import Study

CODE = "FLOOR"


@pytest.fixture(scope="module")
def study_frame(module_transaction, django_db_blocker) -> pd.DataFrame:
    """The synthetic study, imported once for the module, and its analysis dataset."""
    with django_db_blocker.unblock():
        study = synthetic_cohort_import(data=synthetic_cohort(code=CODE, patients=300)).study
        return pd.DataFrame(analysis_rows(study.patients.all()))


@pytest.fixture
def frame(db, study_frame) -> pd.DataFrame:
    """A copy of the study's analysis dataset for one test, which its floor may change."""
    return study_frame.copy()


@pytest.fixture
def endpoint(db):
    """The endpoint's JSON answer and its floor's figures, for the endpoint named."""
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("benchmark"))

    def answers(name: str, frame: pd.DataFrame) -> tuple[dict, dict]:
        response = client.get(f"/api/v1/studies/{CODE}/analytics/{name}")
        assert response.status_code == 200, response.content
        if name in SERIES_ENDPOINTS:
            series = day_series(Study.objects.get(code=CODE), frame)
            return response.json(), SERIES_ENDPOINTS[name](frame, series)
        return response.json(), ENDPOINTS[name](frame)

    return answers


def same(value) -> object:
    """The endpoint's form of a floor's number: no infinity (median not reached) or NaN."""
    if value is None or not math.isfinite(value):
        return None
    return pytest.approx(float(value), rel=1e-9, abs=1e-12)


def same_all(values) -> list:
    return None if values is None else [same(value) for value in values]


def grade_counts(points: list[dict]) -> dict:
    """The endpoint's patients at each grade as a floor counts them: no grade that has none."""
    return {point["grade"]: point["n"] for point in points if point["n"]}


@pytest.mark.parametrize(
    "name",
    [
        "response/?by=prior_allo_hct",
        "response/?by=mcd19_interval_months&cut=12",
        "response/?by=sex&sex=female&age_min=18",
    ],
)
def test_it_computes_the_response_rates_and_test(frame, endpoint, name):
    answer, floor = endpoint(name, frame)
    assert (answer["n"], answer["responders"]) == (floor["n"], floor["responders"])
    assert answer["ci95"] == same_all(floor["ci95"])
    groups = {group["value"]: group for group in answer["groups"]}
    assert groups.keys() == floor["groups"].keys()
    for value, rate in floor["groups"].items():
        assert groups[value]["responders"] == rate["responders"]
        assert groups[value]["ci95"] == same_all(rate["ci95"])
    assert answer["p_value"] == same(floor["p_value"])


@pytest.mark.parametrize(
    "name",
    [
        "survival/?endpoint=efs&population=responders&by=hct_after_infusion&times=12,18",
        "survival/?endpoint=os&landmark=3&by=hct_after_infusion",
        "survival/?endpoint=efs&population=responders&by=hct_after_infusion&times=12,18"
        "&cutoff=2020-12-31",
    ],
)
def test_it_computes_the_survival_curves_and_log_rank_test(frame, endpoint, name):
    answer, floor = endpoint(name, frame)
    curves = {curve["value"]: curve for curve in answer["groups"]}
    assert curves.keys() == floor["groups"].keys()
    for value, curve in floor["groups"].items():
        assert (curves[value]["n"], curves[value]["events"]) == (curve["n"], curve["events"])
        assert curves[value]["median_months"] == same(curve["median"])
        assert (curves[value]["median_ci95"] or [None, None]) == same_all(curve["median_ci95"])
        estimates = [[e["survival"], *e["ci95"]] for e in curves[value]["estimates"]]
        assert estimates == [same_all(point) for point in curve["at"].values()]
    assert answer["logrank_p"] == same(floor["logrank_p"])


def test_it_computes_the_follow_up(frame, endpoint):
    answer, floor = endpoint("follow-up/", frame)
    assert answer["median_months"] == same(floor["median"])
    assert answer["range_months"] == same_all(floor["range"])
    assert answer["reverse_km_median_months"] == same(floor["reverse_km_median"])


def test_it_computes_the_cumulative_incidences(frame, endpoint):
    answer, floor = endpoint("cumulative-incidence/?times=6,12,24", frame)
    assert answer["n"] == floor["n"]
    for name in ("relapse", "nrm"):
        points = [[p["incidence"], *p["ci95"]] for p in answer[name]]
        assert points == [same_all(point) for point in floor[name].values()]
    assert [p["survival"] for p in answer["rfs"]] == [
        same(point[0]) for point in floor["rfs"].values()
    ]


@pytest.mark.parametrize("name", ["toxicity/", "toxicity/?cutoff=2020-12-31"])
def test_it_computes_the_toxicity_counts(frame, endpoint, name):
    answer, floor = endpoint(name, frame)
    for syndrome in ("crs", "icans"):
        grades = answer[syndrome]
        for part, column in [
            ("distribution", ""),
            ("recorded", "_recorded"),
            ("computed", "_computed"),
        ]:
            assert grade_counts(grades[part]) == floor[f"{syndrome}_grade{column}"]
        assert grades["any_grade"] == floor[f"{syndrome}_grade_any"]
        assert grades["grade_3_or_higher"] == floor[f"{syndrome}_grade_3_or_higher"]
    onset = answer["crs_onset_day"]
    assert [onset["median"], onset["geometric_mean"]] == same_all(
        [floor["crs_onset_day"]["median"], floor["crs_onset_day"]["geometric_mean"]]
    )
    for name, counts in answer["treatments"].items():
        assert (counts["recorded"], counts["given"]) == floor[name]
    assert answer["discrepancies"]["compared"] == floor["compared"]
    assert answer["discrepancies"]["n"] == floor["discrepancies"]
    assert answer["discrepancies"]["patients"] == json.loads(floor["patients"])
    icaht = answer["icaht"]
    for part, column in [
        ("early", "early_grade"),
        ("late", "late_grade"),
        ("recorded", "grade_recorded"),
    ]:
        assert grade_counts(icaht[part]) == floor[f"icaht_{column}"]
    assert sum(floor["icaht_early_grade"].values()) > 0
    assert icaht["discrepancies"]["compared"] == floor["icaht_compared"]
    assert icaht["discrepancies"]["patients"] == json.loads(floor["icaht_patients"])


def test_it_computes_the_cytokine_peak_table(frame, endpoint):
    answer, floor = endpoint("biomarkers/", frame)
    for peak in answer["peaks"]:
        expected = floor[peak["analyte"]]
        assert peak["overall"]["n"] > 0
        for found, summary in [
            (peak["overall"], expected["overall"]),
            (peak["peak_day"], expected["peak_day"]),
            *zip(peak["by_crs_grade"], expected["groups"], strict=True),
        ]:
            assert [found["median"], found["min"], found["max"]] == same_all(
                [summary["median"], summary["min"], summary["max"]]
            )
        assert peak["rank_sum_p"] == same(expected["p"])


def test_it_computes_the_time_to_b_cell_recovery(frame, endpoint):
    answer, floor = endpoint("survival/?endpoint=bca&times=1,2,3", frame)
    (curve,) = answer["groups"]
    assert (curve["n"], curve["events"]) == (floor["n"], floor["events"])
    assert curve["median_months"] == same(floor["median"])
    for estimate in curve["estimates"]:
        expected = floor["at"][estimate["month"]]
        assert [estimate["survival"], *estimate["ci95"]] == same_all(expected)


@pytest.mark.parametrize("name", ["kinetics/", "kinetics/?cutoff=2020-12-31"])
def test_it_computes_the_kinetics_summaries(frame, endpoint, name):
    answer, floor = endpoint(name, frame)
    parts = {"all": answer["summary"], **answer["by_response"]}
    for part, measures in floor.items():
        if part == "patients":
            continue
        summary = parts[part]["cmax_cells_per_ul"]
        expected = measures["car_t_cmax_cells_per_ul"]
        assert [summary["median"], summary["geometric_mean"]] == same_all(
            [expected["median"], expected["geometric_mean"]]
        )
    expected = {row["study_id"]: row for row in json.loads(floor["patients"])}
    assert len(answer["patients"]) == len(expected)
    for patient in answer["patients"]:
        measures = expected[patient["study_id"]]
        assert patient["detected"] == measures["car_t_detected"]
        for measure in ("tmax_day", "auc_0_28", "last_detected_day"):
            assert patient[measure] == same(measures[f"car_t_{measure}"]), measure


def test_it_computes_table_1(frame, endpoint):
    answer, floor = endpoint("tables/characteristics/", frame)
    rows = {(row["section"], row["characteristic"]): row for row in answer["rows"]}
    assert rows["Age (years)", "Median"]["median"] == same(floor["age_median"])
    assert rows["Sex", "Male"]["n"] == floor["sex"]["male"]
    assert rows["Prior allo-HCT", "Yes"]["n"] == floor["prior_allo_hct"][True]
    intervals = [
        row["n"] for (section, _), row in rows.items() if section.startswith("Interval time")
    ]
    assert intervals[:3] == floor["intervals"]


def test_it_computes_table_2(frame, endpoint):
    answer, floor = endpoint("tables/outcomes/", frame)
    rows = {(row["section"], row["characteristic"]): row for row in answer["rows"]}
    assert {int(k): n for k, n in floor["crs_grade"].items()} == {
        int(characteristic): row["n"]
        for (section, characteristic), row in rows.items()
        if section == "Grade of CRS"
    }
    assert rows["Treatment response on D30", "NR"]["n"] == floor["d30_response"]["nr"]
    transplanted_responders = rows["Follow-up: CR group", "allo-HCT"]
    assert transplanted_responders["relapsed"] == floor["follow_up"][True, True]["relapsed"]
    assert transplanted_responders["died"] == floor["follow_up"][True, True]["died"]


@pytest.mark.parametrize(
    "name",
    [
        "biomarkers/series/?analyte=il6",
        "biomarkers/series/?analyte=anc",
        "biomarkers/series/?analyte=il6&cutoff=2020-12-31",
    ],
)
def test_it_computes_the_lab_series(frame, endpoint, name):
    answer, floor = endpoint(name, frame)
    days = {day["day"]: day for day in answer["days"]}
    assert days.keys() == floor.keys()
    assert len(days) > 3
    for visit, (n, median, q1, q3) in floor.items():
        assert days[visit]["n"] == n
        assert [days[visit]["median"], days[visit]["q1"], days[visit]["q3"]] == same_all(
            [median, q1, q3]
        )
