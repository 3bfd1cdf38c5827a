"""GET .../analytics/kinetics/: CAR-T expansion and persistence per patient and summarised
among patients with detectable cells, overall and by response."""

import pytest

pytestmark = pytest.mark.usefixtures("published")


def test_it_gives_each_patient_s_kinetics(analytics):
    result = analytics("kinetics").json()
    assert (result["n"], result["with_counts"], result["detected"]) == (19, 19, 17)
    patients = {patient["study_id"]: patient for patient in result["patients"]}
    assert set(patients["P02"]) == {
        "study_id",
        "responder",
        "detected",
        "cmax_cells_per_ul",
        "tmax_day",
        "auc_0_28",
        "last_detected_day",
    }
    # The paper (An et al., BMC Cancer 2022), "expansion and toxicity": no CAR-T cells
    # were detected in patient #16, who nevertheless achieved CR.
    assert (patients["P16"]["detected"], patients["P16"]["responder"]) == (False, True)
    assert patients["P16"]["tmax_day"] is None


def test_it_summarises_detectable_expansion_by_response(analytics):
    result = analytics("kinetics").json()
    summary = result["summary"]
    assert summary["n"] == summary["cmax_cells_per_ul"]["n"] == 17
    assert set(summary["cmax_cells_per_ul"]) == {"n", "median", "min", "max", "geometric_mean"}
    # The paper, "Treatment response": 5 non-responders showed CAR-T cell proliferation.
    by_response = result["by_response"]
    assert (by_response["responders"]["n"], by_response["non_responders"]["n"]) == (12, 5)
