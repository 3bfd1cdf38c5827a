"""GET .../analytics/toxicity/: neutrophil ICAHT beside CRS and ICANS, the computed early
and late grades, the site's recorded early grade and the patients where they differ."""

import pytest

from registry import models
from tests import factories

pytestmark = pytest.mark.django_db

# Early ICAHT by hand (clinical rules, "ICAHT"): ANC ≤500/µL for 7 days is grade 2
# (days 0-6 at 0.3 x10^9/L), never at or below 500/µL is grade 0 (1.2 from day 0 on).
GRADE_2 = [(0, 0.3), (3, 0.3), (6, 0.3), (7, 0.6), (14, 1.2), (21, 1.2), (28, 1.2)]
GRADE_0 = [(0, 1.2), (7, 1.2), (14, 1.2), (21, 1.2), (28, 1.2)]
# Late: ≤500/µL on days 70 and 80, grade 3.
LATE_GRADE_3 = [(40, 0.8), (70, 0.3), (80, 0.2)]

PATIENTS = [
    ("T01", GRADE_2 + LATE_GRADE_3, 2),  # recorded as computed
    ("T02", GRADE_2, 3),  # recorded 3, computed 2: a discrepancy
    ("T03", GRADE_0, None),  # nothing recorded
    ("T04", [], 1),  # recorded without ANC values: nothing to compare
]


@pytest.fixture
def cohort(reader) -> None:
    for subject_id, anc, recorded in PATIENTS:
        patient = factories.PatientFactory(subject_id=subject_id)
        factories.InfusionFactory(patient=patient)
        models.ToxicityRecord.objects.create(patient=patient, icaht_grade=recorded)
        for day, value in anc:
            factories.LabResultFactory(patient=patient, day=day, analyte="anc", value=value)


def counts(distribution: list[dict]) -> list[int]:
    return [grade["n"] for grade in distribution]


def test_it_counts_the_computed_and_recorded_icaht_grades(analytics, cohort):
    response = analytics("toxicity", cutoff="none")
    assert response.status_code == 200, response.content
    icaht = response.json()["icaht"]
    assert counts(icaht["early"]) == [1, 0, 2, 0, 0]
    assert icaht["early"][2]["percent"] == pytest.approx(100 * 2 / 3)
    assert counts(icaht["late"]) == [0, 0, 0, 1, 0]
    assert counts(icaht["recorded"]) == [0, 1, 1, 1, 0]
    assert (icaht["early_grade_3_or_higher"], icaht["late_grade_3_or_higher"]) == (0, 1)


def test_it_lists_the_patients_whose_recorded_grade_differs(analytics, cohort):
    discrepancies = analytics("toxicity", cutoff="none").json()["icaht"]["discrepancies"]
    assert (discrepancies["compared"], discrepancies["n"]) == (2, 1)
    assert discrepancies["patients"] == [
        {"study_id": "T02", "icaht_grade_recorded": 3, "icaht_early_grade": 2}
    ]
