"""analytics.cohort: groups, populations and time-to-event data over a data frame (no ORM)."""

import numpy as np
import pandas as pd
import pytest

from analytics.cohort import (
    DEATH,
    analysis_frame,
    group_order,
    groups,
    in_population,
    time_to_event,
)
from analytics.dataset import COLUMNS
from analytics.dataset.columns import KINDS
from analytics.stats import NRM, RELAPSE


def frame(*rows: dict) -> pd.DataFrame:
    return analysis_frame([{"study_id": f"P{i}", **row} for i, row in enumerate(rows)])


def test_it_splits_at_a_cut_and_leaves_missing_values_out():
    labels = groups(
        frame({"age_years": 11}, {"age_years": 18}, {"age_years": None}), "age_years", 18
    )
    assert labels.tolist() == ["<18", ">=18", None]


def test_it_orders_true_before_false_and_cuts_low_before_high():
    assert group_order(pd.Series([False, None, True])) == [True, False]
    assert group_order(pd.Series([">=12", "<12"])) == ["<12", ">=12"]
    assert group_order(pd.Series(["male", "female"])) == ["female", "male"]


def test_it_keeps_the_responders_only():
    rows = frame({"responder": True}, {"responder": False}, {"responder": None})
    assert in_population(rows, "responders")["study_id"].tolist() == ["P0"]
    assert len(in_population(rows, "all")) == 3


PATIENTS = (
    # A responder who relapses at 4 months and dies of disease at 6.
    {"responder": True, "efs_event": True, "efs_months": 4.0, "nrm": False,
     "os_event": True, "os_months": 6.0, "relapse_months": 4.0, "relapse": True},
    # A responder transplanted at 2 months, dying of the transplant at 5.
    {"responder": True, "efs_event": True, "efs_months": 5.0, "nrm": True, "os_event": True,
     "os_months": 5.0, "hct_after_infusion": True, "hct_months": 2.0},
    # A non-responder alive at 9 months.
    {"responder": False, "efs_event": False, "efs_months": 9.0, "nrm": False,
     "os_event": False, "os_months": 9.0},
    # Not yet assessed, followed for 1 month.
    {"responder": None, "efs_event": False, "efs_months": 1.0, "os_event": False,
     "os_months": 1.0},
    # No infusion: no times.
    {"responder": None},
)  # fmt: skip


def test_it_codes_relapse_and_non_relapse_mortality():
    data = time_to_event(frame(*PATIENTS), "efs", "responders")
    assert data.months.tolist() == [4.0, 5.0, 9.0, 1.0]
    assert data.outcome.tolist() == [RELAPSE, NRM, 0, 0]


def test_it_makes_non_response_a_failure_at_day_0_among_all_patients():
    data = time_to_event(frame(*PATIENTS), "efs", "all")
    assert data.months.tolist() == [4.0, 5.0, 0.0, 1.0]
    assert data.outcome.tolist() == [RELAPSE, NRM, RELAPSE, 0]


def test_it_takes_deaths_for_overall_survival():
    data = time_to_event(frame(*PATIENTS), "os", "all")
    assert data.months.tolist() == [6.0, 5.0, 9.0, 1.0]
    assert data.events.tolist() == [True, True, False, False]
    assert set(data.outcome) == {0, DEATH}


ASKED = ("study_id", "relapse", "hct_after_infusion")


def test_it_starts_again_at_the_landmark_with_covariates_as_of_it():
    data = time_to_event(frame(*PATIENTS), "os", "all", landmark=4.5, covariates=ASKED)
    # The patient followed for 1 month is no longer followed at 4.5 months.
    assert data.frame["study_id"].tolist() == ["P0", "P1", "P2"]
    assert np.allclose(data.months, [1.5, 0.5, 4.5])
    assert data.frame["relapse"].tolist() == [True, False, False]
    assert data.frame["hct_after_infusion"].tolist() == [False, True, False]
    early = time_to_event(frame(*PATIENTS), "os", "all", landmark=1.5, covariates=ASKED)
    assert early.frame["hct_after_infusion"].tolist() == [False, False, False]
    assert early.frame["relapse"].tolist() == [False, False, False]


@pytest.mark.parametrize("landmark, kept", [(4.0, ["P1", "P2"]), (3.9, ["P0", "P1", "P2"])])
def test_it_drops_patients_with_an_event_by_the_landmark(landmark, kept):
    data = time_to_event(
        frame(*PATIENTS), "efs", "responders", landmark=landmark, covariates=["study_id"]
    )
    assert data.frame["study_id"].tolist() == kept


def test_every_column_of_the_dataset_holds_a_kind_the_frame_types():
    # A column of another kind would be read as text.
    assert {column: kind for column, kind in COLUMNS.items() if kind not in KINDS} == {}


def test_the_frame_holds_each_type_as_declared():
    found = frame({"age_years": 30, "relapse": True, "efs_months": 1.5, "sex": "female"})
    assert str(found["age_years"].dtype) == "Int64"
    assert str(found["relapse"].dtype) == "boolean"
    assert str(found["efs_months"].dtype) == "float64"
    assert str(found["infusion_date"].dtype).startswith("datetime64")
    assert found["sex"].dtype == object
