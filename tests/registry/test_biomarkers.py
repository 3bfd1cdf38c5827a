"""B-cell aplasia, peaks and CAR-T kinetics (clinical-rules.md "Biomarkers" and "CAR-T
kinetics"), by hand-worked series."""

import pytest

from registry.analytes import Measurement
from registry.biomarkers import (
    BCellAplasia,
    Kinetics,
    Peak,
    b_cell_aplasia,
    b_cell_recovery_discrepancy,
    car_t_kinetics,
    peak,
)

SEED = {"threshold_pct": 3, "specimen": "bm"}  # the seed protocol: <3% of lymphocytes in marrow


def series(*values: tuple[int, float], specimen: str = "pb") -> list[Measurement]:
    return [Measurement(day, level, specimen=specimen) for day, level in values]


def marrow(*values: tuple[int, float]) -> list[Measurement]:
    return series(*values, specimen="bm")


# --- B-cell aplasia -------------------------------------------------------------------------


def test_it_finds_the_start_recovery_and_duration_of_b_cell_aplasia():
    # Rules "Biomarkers": starts at the first value below 3%, recovers at the first later
    # value at or above it.
    assert b_cell_aplasia(marrow((28, 1), (60, 0.5), (90, 4), (120, 1)), **SEED) == (
        BCellAplasia(28, 90, 62, False, "B-cell aplasia from day 28, recovery on day 90")
    )


def test_it_counts_a_value_at_the_threshold_as_recovery():
    assert b_cell_aplasia(marrow((28, 1), (60, 3)), **SEED).recovery_day == 60


def test_it_takes_the_threshold_from_the_study():
    result = b_cell_aplasia(marrow((28, 1), (60, 0.5), (90, 4)), threshold_pct=0.8, specimen="bm")
    assert (result.start_day, result.recovery_day) == (60, 90)


def test_it_reads_only_the_studys_specimen():
    values = [*marrow((28, 1), (90, 4)), *series((60, 10))]
    assert b_cell_aplasia(values, **SEED).recovery_day == 90
    assert b_cell_aplasia(values, threshold_pct=3, specimen="pb").start_day is None


def test_it_censors_aplasia_at_the_last_value_while_ongoing():
    assert b_cell_aplasia(marrow((28, 1), (60, 0.5)), **SEED) == BCellAplasia(
        28, None, 32, True, "B-cell aplasia from day 28, ongoing at the last value on day 60"
    )


def test_it_censors_aplasia_at_an_allo_hct():
    # Rules "Biomarkers": a transplant ends the CAR-T's own aplasia; the donor's B cells on
    # day 120 are no recovery.
    values = marrow((28, 1), (60, 0.5), (120, 15))
    assert b_cell_aplasia(values, allo_hct_day=75, **SEED) == BCellAplasia(
        28, None, 47, False, "B-cell aplasia from day 28, censored at allo-HCT on day 75"
    )


def test_it_counts_b_cells_below_detection_as_zero():
    # Below a limit of 0.02% with a study threshold of 0.01%: 0, aplasia (the limit itself
    # would not be).
    values = [Measurement(30, 0.02, below_detection=True, specimen="bm")]
    assert b_cell_aplasia(values, threshold_pct=0.01, specimen="bm").start_day == 30


def test_it_reads_b_cells_from_day_1():
    # The day-0 sample is drawn before infusion: it starts no aplasia.
    result = b_cell_aplasia(marrow((0, 0.5), (14, 10)), **SEED)
    assert result == BCellAplasia(
        None, None, None, False, "no B-cell aplasia: B cells never below 3% in bone marrow"
    )


def test_it_has_no_aplasia_without_values():
    assert b_cell_aplasia([], **SEED) == BCellAplasia(
        None, None, None, False, "no B-cell values in bone marrow after infusion"
    )


# --- a recorded B-cell recovery against the values ------------------------------------------

RECOVERED_ON_DAY_90 = marrow((28, 1), (60, 0.5), (90, 4))  # measured 30 days apart


@pytest.mark.parametrize("recorded_day", [60, 75, 90, 120], ids=str)
def test_it_accepts_a_recorded_recovery_within_the_interval_between_measurements(recorded_day):
    discrepancy = b_cell_recovery_discrepancy(
        RECOVERED_ON_DAY_90, recorded_day=recorded_day, **SEED
    )
    assert discrepancy is None


@pytest.mark.parametrize("recorded_day", [59, 121], ids=str)
def test_it_flags_a_recorded_recovery_further_from_the_values_than_that(recorded_day):
    discrepancy = b_cell_recovery_discrepancy(
        RECOVERED_ON_DAY_90, recorded_day=recorded_day, **SEED
    )
    assert discrepancy == (
        f"B-cell recovery recorded on day {recorded_day}; the values show it on day 90"
    )


def test_it_flags_a_recorded_recovery_while_the_values_stay_low():
    values = marrow((28, 1), (60, 0.5), (90, 0.2))
    assert b_cell_recovery_discrepancy(values, recorded_day=70, **SEED) is None
    assert b_cell_recovery_discrepancy(values, recorded_day=45, **SEED) == (
        "B-cell recovery recorded on day 45, but B cells still below 3% on day 90"
    )


def test_it_flags_a_recorded_recovery_without_aplasia():
    assert b_cell_recovery_discrepancy(marrow((28, 12)), recorded_day=60, **SEED) == (
        "B-cell recovery recorded on day 60, but no value in bone marrow shows B-cell aplasia"
    )


def test_it_does_not_compare_a_recovery_recorded_after_an_allo_hct():
    values = marrow((28, 1), (60, 0.5), (120, 15))
    assert b_cell_recovery_discrepancy(values, recorded_day=120, allo_hct_day=75, **SEED) is None


# --- peaks ----------------------------------------------------------------------------------


def test_it_gives_the_peak_its_day_the_baseline_and_the_fold_change():
    # Rules "Biomarkers" (the seed's Table S3): baseline the last value on or before day 0
    # (8, not 5); peak in days 0-30 (400, first on day 3; day 40 is outside); 400 / 8 = 50.
    il6 = series((-3, 5), (0, 8), (3, 400), (5, 400), (14, 20), (40, 1000))
    assert peak(il6) == Peak(400, 3, 8, 50)


@pytest.mark.parametrize(
    "baseline",
    [
        pytest.param([], id="no baseline"),
        pytest.param([Measurement(-2, 1.5, below_detection=True)], id="below detection"),
    ],
)
def test_it_has_no_fold_change_without_a_detectable_baseline(baseline):
    assert peak([*baseline, *series((3, 400))]).fold_change is None


def test_it_peaks_at_zero_on_no_day_when_never_detected():
    values = [Measurement(day, 1.5, below_detection=True) for day in (0, 3, 7)]
    assert peak(values) == Peak(0, None, 0, None)


def test_it_has_no_peak_without_values_in_days_0_to_30():
    assert peak(series((-1, 5), (35, 100))) == Peak(None, None, 5, None)


def test_it_reads_the_peak_in_one_specimen():
    values = [*series((3, 40)), *series((5, 900), specimen="csf")]
    assert peak(values).peak == 40
    assert peak(values, specimen="csf").peak == 900


# --- CAR-T kinetics (the analysis dataset's, registry.biomarkers.series_kinetics) ----------


def test_it_gives_cmax_tmax_auc_and_persistence():
    # AUC by hand: 3*(0+10)/2 + 4*(10+50)/2 + 7*(50+20)/2 + 7*(20+5)/2 + 7*(5+0)/2
    #            = 15 + 120 + 245 + 87.5 + 17.5 = 485; the day-35 value is outside 0-28.
    result = car_t_kinetics(series((0, 0), (3, 10), (7, 50), (14, 20), (21, 5), (28, 0), (35, 0)))
    assert (result.detected, result.cmax, result.tmax_day) == (True, 50, 7)
    assert abs(result.auc_0_28 - 485) < 1e-9
    assert result.last_detected_day == 21


def test_it_assumes_zero_at_day_zero_and_interpolates_at_day_28():
    # Level at 28 between (14, 20) and (35, 6): 20 - 14 * 14/21 = 32/3.
    # AUC = 7*40/2 + 7*(40+20)/2 + 14*(20+32/3)/2 = 140 + 210 + 644/3 = 1694/3.
    result = car_t_kinetics(series((7, 40), (14, 20), (35, 6)))
    assert abs(result.auc_0_28 - 1694 / 3) < 1e-9
    assert result.last_detected_day == 35


def test_it_does_not_extrapolate_auc_past_the_last_value():
    # 7*(0+10)/2 + 7*(10+4)/2 = 35 + 49 = 84.
    assert abs(car_t_kinetics(series((0, 0), (7, 10), (14, 4))).auc_0_28 - 84) < 1e-9


def test_it_takes_the_first_day_of_a_tied_peak_whatever_the_input_order():
    assert car_t_kinetics(series((14, 5), (10, 30), (0, 0), (7, 30))).tmax_day == 7


def test_it_leaves_out_values_before_infusion():
    result = car_t_kinetics(series((-3, 100), (0, 0), (7, 10)))
    assert (result.cmax, result.tmax_day) == (10, 7)


def test_it_counts_car_t_levels_below_detection_as_zero():
    # qPCR below a limit of 50 copies/µg DNA on day 28: persistence ends on day 14, and
    # the area is 7*(0+200)/2 + 7*(200+80)/2 + 14*(80+0)/2 = 700 + 980 + 560 = 2240.
    copies = [*series((0, 0), (7, 200), (14, 80)), Measurement(28, 50, below_detection=True)]
    result = car_t_kinetics(copies)
    assert (result.last_detected_day, result.auc_0_28) == (14, 2240)


def test_it_reads_kinetics_in_one_specimen():
    counts = [*series((7, 10)), *series((7, 500), specimen="bm")]
    assert car_t_kinetics(counts).cmax == 10
    assert car_t_kinetics(counts, specimen="bm").cmax == 500


def test_it_reports_undetectable_cells():
    result = car_t_kinetics(series((0, 0), (7, 0), (14, 0)))
    assert result == Kinetics(False, 0.0, None, 0.0, None)


def test_it_has_no_kinetics_without_values():
    assert car_t_kinetics([]) == Kinetics(False, None, None, None, None)
