"""GET .../analytics/cumulative-incidence/: relapse and non-relapse mortality, each the
other's competing risk (Aalen–Johansen), and relapse-free survival."""

import pytest

from registry.interchange.importer import cohort_import

TIMES = "3,6,9,12,18,24"


def assert_sums_to_one(result: dict) -> None:
    # clinical-rules.md, Statistics: CIR + NRM + RFS = 1 at every time.
    for relapse, nrm, rfs in zip(result["relapse"], result["nrm"], result["rfs"], strict=True):
        assert relapse["month"] == nrm["month"] == rfs["month"]
        if rfs["survival"] is not None:
            total = relapse["incidence"] + nrm["incidence"] + rfs["survival"]
            assert total == pytest.approx(1)


def test_it_describes_the_responders_by_default(analytics, published):
    result = analytics("cumulative-incidence", times=TIMES).json()
    assert (result["population"], result["n"]) == ("responders", 13)
    assert set(result["relapse"][0]) == {"month", "incidence", "ci95"}
    # The paper (An et al., BMC Cancer 2022), Results "Follow-up": no transplant-related
    # death; 3 responders relapsed (at 4.6, 9.0 and 9.9 months).
    assert [point["incidence"] for point in result["nrm"]] == [0] * 6
    assert result["relapse"][-1]["incidence"] == pytest.approx(4 / 13)
    assert_sums_to_one(result)


def test_it_counts_a_death_in_remission_as_non_relapse_mortality(analytics, document):
    # P04, a responder transplanted after infusion, dies of the transplant 11 months on.
    p04 = next(patient for patient in document["patients"] if patient["study_id"] == "P04")
    p04["events"].append({"kind": "death", "date": "2020-03-16", "cause": "transplant_related"})
    p04["last_contact_date"] = "2020-03-16"
    cohort_import(data=document)
    result = analytics("cumulative-incidence", times=TIMES).json()
    nrm = {point["month"]: point["incidence"] for point in result["nrm"]}
    assert nrm[9] == 0
    assert nrm[12] > 0
    assert_sums_to_one(result)


def test_it_counts_non_response_as_failure_among_all_patients(analytics, published):
    result = analytics("cumulative-incidence", population="all", times=TIMES).json()
    assert result["n"] == 19
    assert result["relapse"][0]["incidence"] >= 6 / 19
    assert_sums_to_one(result)
