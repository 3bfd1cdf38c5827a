"""analytics.lab_series: a laboratory value's median and quartiles by visit day, pinned to
values worked by hand (and checked against R's quantile(), type 7, its default)."""

import pandas as pd
import pytest

from analytics.lab_series import RECORDED, in_unit, lab_series_report, visit_days


def recorded(*rows) -> pd.DataFrame:
    """Rows of (study id, day, value, unit, below detection)."""
    return pd.DataFrame(list(rows), columns=RECORDED)


def test_it_puts_each_day_on_its_nearest_visit_day():
    days = [-5, 0, 1, 14, 17, 18, 24, 25, 35, 36, 50, 400]
    # By hand on the grid 0..14, 21, 28, 42, 60, ..., 365: 17 is 3 days from 14 and 4 from
    # 21; 35 is 7 from both 28 and 42 (the earlier wins); any day before the infusion is
    # the baseline, day 0.
    assert visit_days(days).tolist() == [0, 0, 1, 14, 14, 21, 21, 28, 28, 42, 42, 365]


def test_it_gives_the_median_and_quartiles_as_r_quantile_type_7():
    values = recorded(
        *((f"P{n}", 7, level, "10^9/L", False) for n, level in enumerate((1, 2, 3, 4)))
    )
    (day,) = lab_series_report(values, analyte="anc", specimen="pb", unit="10^9/L")["days"]
    # R: quantile(c(1, 2, 3, 4)) -> 25% 1.75, 50% 2.50, 75% 3.25: the p-th quantile at
    # position p(n-1) = 0.75, 1.5, 2.25 of the sorted values, interpolated.
    assert (day["day"], day["n"], day["q1"], day["median"], day["q3"]) == (7, 4, 1.75, 2.5, 3.25)
    assert (day["below_detection"], day["days"]) == (0, [7, 7])


def test_a_value_below_detection_counts_as_0():
    values = recorded(
        ("P1", 3, 5.0, "pg/mL", True),  # the limit of detection, 5 pg/mL
        ("P2", 3, 10.0, "pg/mL", False),
        ("P3", 3, 20.0, "pg/mL", False),
    )
    (day,) = lab_series_report(values, analyte="il6", specimen="pb", unit="pg/mL")["days"]
    # R: quantile(c(0, 10, 20)) -> 5, 10, 15.
    assert (day["n"], day["q1"], day["median"], day["q3"]) == (3, 5.0, 10.0, 15.0)
    assert day["below_detection"] == 1


def test_a_patient_counts_once_a_visit_with_the_value_nearest_it():
    values = recorded(
        ("P1", -3, 9.0, "mg/L", False),
        ("P1", -1, 4.0, "mg/L", False),  # the baseline: the last value before the infusion
        ("P1", 14, 100.0, "mg/L", False),
        ("P1", 17, 60.0, "mg/L", False),  # also nearest day 14, but further from it
        ("P2", 0, 8.0, "mg/L", False),
        ("P2", 16, 30.0, "mg/L", False),
    )
    days = lab_series_report(values, analyte="crp", specimen="pb", unit="mg/L")["days"]
    by_day = {day["day"]: (day["n"], day["median"], day["days"]) for day in days}
    # Day 0: P1's day -1 value (4) and P2's day 0 value (8): median 6. Day 14: P1's day 14
    # value (100) and P2's day 16 value (30), the only one P2 has near it: median 65.
    assert by_day == {0: (2, 6.0, [-1, 0]), 14: (2, 65.0, [14, 16])}


def test_values_in_another_unit_are_converted():
    values = recorded(
        ("P1", 7, 500.0, "/uL", False),  # 500/µL = 0.5 x10^9/L
        ("P2", 7, 1.5, "10^9/L", False),
    )
    report = lab_series_report(values, analyte="anc", specimen="pb", unit="10^9/L")
    assert report["days"][0]["median"] == 1.0  # (0.5 + 1.5) / 2
    in_counts = lab_series_report(values, analyte="anc", specimen="pb", unit="/uL")
    assert in_counts["days"][0]["median"] == 1000.0  # (500 + 1500) / 2
    # CRP 2 mg/dL = 20 mg/L (1 mg/dL = 10 mg/L).
    crp = in_unit(recorded(("P1", 1, 2.0, "mg/dL", False)), "crp", "mg/L").frame
    assert crp["value"].tolist() == [20.0]


def test_sil2r_in_another_unit_is_left_out_and_counted():
    values = recorded(
        ("P1", 7, 1200.0, "U/mL", False),
        ("P2", 7, 3000.0, "pg/mL", False),  # no factor joins U/mL and pg/mL
    )
    report = lab_series_report(values, analyte="sil2r", specimen="pb", unit="U/mL")
    assert (report["values"], report["left_out_other_unit"]) == (1, 1)
    assert report["days"][0]["median"] == 1200.0


def test_the_patients_series_keep_every_value_as_recorded():
    values = recorded(
        ("P2", 14, 30.0, "mg/L", False),
        ("P1", 17, 60.0, "mg/L", False),
        ("P1", 14, 2.0, "mg/dL", True),
    )
    report = lab_series_report(values, analyte="crp", specimen="pb", unit="mg/L", per_patient=True)
    assert report["series"] == [
        {"study_id": "P1", "day": 14, "value": 20.0, "below_detection": True},
        {"study_id": "P1", "day": 17, "value": 60.0, "below_detection": False},
        {"study_id": "P2", "day": 14, "value": 30.0, "below_detection": False},
    ]
    assert (report["patients"], report["values"]) == (2, 3)


def test_no_value_gives_no_day():
    report = lab_series_report(recorded(), analyte="il6", specimen="pb", unit="pg/mL")
    assert (report["days"], report["patients"], report["values"]) == ([], 0, 0)


@pytest.mark.parametrize("day", [3650, 3000, 15])
def test_every_recordable_day_has_a_visit(day):
    assert visit_days([day])[0] <= day + 91
