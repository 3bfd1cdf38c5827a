"""GET .../analytics/survival/?endpoint=bca: time from the start of B-cell aplasia to
B-cell recovery as a Kaplan–Meier curve, censored at the last value (aplasia ongoing) or at
an allo-HCT (clinical rules, "Biomarkers"), pinned against R's survival package."""

from datetime import timedelta

import pytest

from tests import factories
from tests.factories import INFUSION_DATE

pytestmark = pytest.mark.django_db

# (study id, B cells in marrow (day, %), allo-HCT day): the study's threshold is 3%.
PATIENTS = [
    ("R01", [(14, 0.5), (60, 1.0), (90, 5.0)], None),  # 14 -> 90: recovery after 76 days
    ("R02", [(14, 0.5), (28, 0.2), (60, 0.1)], 45),  # censored at the allo-HCT: 31 days
    ("R03", [(7, 0.2), (60, 4.0)], None),  # recovery after 53 days
    ("R04", [(10, 1.0), (120, 0.5)], None),  # ongoing at day 120: censored at 110 days
    ("R05", [(14, 1.0), (30, 2.0), (44, 3.0)], None),  # 3% is at the threshold: 30 days
    ("R06", [(14, 8.0), (60, 9.0)], None),  # never in aplasia: not analysed
]


@pytest.fixture
def cohort(reader) -> None:
    for subject_id, b_cells, allo_hct in PATIENTS:
        patient = factories.PatientFactory(subject_id=subject_id)
        factories.InfusionFactory(patient=patient)
        for day, value in b_cells:
            factories.LabResultFactory(
                patient=patient,
                day=day,
                analyte="b_cells_pct",
                value=value,
                unit="%",
                specimen="bm",
            )
        if allo_hct is not None:
            factories.FollowUpEventFactory(
                patient=patient, kind="allo_hct", date=INFUSION_DATE + timedelta(days=allo_hct)
            )


def test_time_to_b_cell_recovery_matches_R_survfit(analytics, cohort):
    # R 4, survival 3:
    #   fit <- survfit(Surv(c(76, 31, 53, 110, 30) / 30.4375, c(1, 0, 1, 0, 1)) ~ 1,
    #                  conf.type = "log-log")
    #   summary(fit, times = c(1, 2))   # surv 0.8, 0.5333333333; lower 0.2038092633,
    #                                   # 0.06833208785; upper 0.9691797889, 0.8630711827;
    #                                   # n.risk 4, 2
    #   quantile(fit, 0.5)              # 2.496919918, lower 0.9856262834, upper NA
    response = analytics("survival", endpoint="bca", times="1,2", cutoff="none")
    assert response.status_code == 200, response.content
    (curve,) = response.json()["groups"]
    assert (curve["n"], curve["events"]) == (5, 3)
    first, second = curve["estimates"]
    assert (first["survival"], first["at_risk"]) == (pytest.approx(0.8), 4)
    assert first["ci95"] == pytest.approx([0.20380926327, 0.9691797889])
    assert (second["survival"], second["at_risk"]) == (pytest.approx(0.5333333333), 2)
    assert second["ci95"] == pytest.approx([0.06833208785, 0.8630711827])
    assert curve["median_months"] == pytest.approx(2.496919918)
    assert curve["median_ci95"] == [pytest.approx(0.9856262834), None]
    # R: fit$time, the times of the curve's steps and censorings.
    assert curve["curve"]["censored_months"] == pytest.approx([31 / 30.4375, 110 / 30.4375])


def test_the_bca_endpoint_is_named_in_a_bad_request(analytics, cohort):
    response = analytics("survival", endpoint="b-cells")
    assert response.status_code == 400
    assert "bca" in str(response.json()["endpoint"])
