"""GET .../analytics/toxicity/: CRS and ICANS grades as recorded and as computed, onset,
treatments and the patients whose record disagrees with the ASTCT grading."""

import statistics

import pytest

from registry.interchange.importer import cohort_import
from tests.analytics.conftest import discrepancy


def counts(distribution: list[dict]) -> list[int]:
    return [row["n"] for row in distribution]


def test_it_gives_recorded_and_computed_grades(analytics, published):
    result = analytics("toxicity").json()
    crs = result["crs"]
    assert counts(crs["recorded"]) == counts(crs["computed"]) == [1, 15, 2, 0, 1, 0]
    assert (crs["any_grade"], crs["grade_3_or_higher"]) == (18, 1)
    assert crs["distribution"][1]["percent"] == pytest.approx(100 * 15 / 19)
    assert result["discrepancies"] == {"compared": 19, "n": 0, "patients": []}


def test_it_gives_onset_and_treatments(analytics, published):
    # The paper (An et al., BMC Cancer 2022), "expansion and toxicity": CRS in 18 of 19,
    # managed with corticosteroids; 3 patients had plasmapheresis.
    result = analytics("toxicity").json()
    assert result["crs_onset_day"]["n"] == 18
    assert 1 <= result["crs_onset_day"]["median"] <= 5
    assert result["treatments"] == {
        "tocilizumab": {"recorded": 0, "given": 0},
        "corticosteroids": {"recorded": 19, "given": 18},
        "plasmapheresis": {"recorded": 19, "given": 3},
    }


def test_it_lists_a_recorded_grade_the_grading_disagrees_with(analytics, document):
    document["patients"][0]["toxicities"]["crs_max_grade"] = 2
    cohort_import(data=document)
    result = analytics("toxicity").json()
    assert result["discrepancies"]["patients"] == [discrepancy("P01", crs=(2, 1), icans=(0, 0))]
    # The site's record is what the report counts.
    assert counts(result["crs"]["distribution"]) == [1, 14, 3, 0, 1, 0]
    assert counts(result["crs"]["computed"]) == [1, 15, 2, 0, 1, 0]


def test_an_onset_left_out_is_read_from_the_daily_assessments(analytics, document):
    # P08's site recorded CRS onset on day 3; with the onset left out and a fever of 38.6 °C
    # on day 1 (ASTCT CRS grade 1), its onset as analysed is day 1.
    patient = next(p for p in document["patients"] if p["study_id"] == "P08")
    patient["toxicities"]["crs_onset_day"] = None
    patient["daily_assessments"][1]["temperature_c"] = 38.6
    cohort_import(data=document)
    recorded = [
        p["toxicities"]["crs_onset_day"]
        for p in document["patients"]
        if p["toxicities"].get("crs_onset_day") is not None
    ]
    result = analytics("toxicity").json()["crs_onset_day"]
    assert (result["n"], result["min"]) == (18, 1)
    assert result["median"] == statistics.median([*recorded, 1])
