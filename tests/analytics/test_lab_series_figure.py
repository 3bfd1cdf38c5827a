"""analytics.figures.labs: the dashboard's lab series figure, drawn from the lab series
report (analytics.lab_series) of values worked by hand."""

import pandas as pd
import pytest
from matplotlib.colors import to_hex

from analytics import figures
from analytics.figures.drawing import OKABE_ITO
from analytics.lab_series import RECORDED, lab_series_report


def report(analyte: str, unit: str, rows) -> dict:
    """The report of (day, [values]) with one patient per value; a value None is below
    detection (its limit 1.0)."""
    recorded = [
        (f"P{index}", day, 1.0 if value is None else value, unit, value is None)
        for day, values in rows
        for index, value in enumerate(values)
    ]
    frame = pd.DataFrame(recorded, columns=RECORDED)
    return lab_series_report(frame, analyte=analyte, specimen="pb", unit=unit)


IL6 = [(0, [2.0, 4.0, 6.0]), (1, [40.0, 120.0, 900.0]), (3, [None, 10.0, 30.0]), (5, [8.0])]


def drawn(figure):
    plot = figure.axes[0]
    (median,) = [line for line in plot.get_lines() if line.get_gid() == "median"]
    (band,) = [collection for collection in plot.collections if collection.get_gid() == "iqr"]
    return plot, median, band


def test_it_draws_the_median_and_iqr_of_days_with_three_patients_on_a_log_axis():
    plot, median, band = drawn(figures.lab_series_figure(report("il6", "pg/mL", IL6)))
    # Day 5 has one patient: left out of the figure (the table lists it). Medians by hand:
    # day 0: 4; day 1: 120; day 3: 10 (below detection counts as 0).
    assert [label.get_text() for label in plot.get_xticklabels()] == ["0", "1", "3"]
    assert list(median.get_ydata()) == [4.0, 120.0, 10.0]
    assert plot.get_yscale() == "log"
    # The band runs from Q1 to Q3; day 3's Q1, R quantile(c(0, 10, 30))[2] = 5.
    vertices = band.get_paths()[0].vertices
    assert 5.0 in vertices[:, 1] and 510.0 in vertices[:, 1]  # day 1 Q3: 120 + (900-120)/2
    assert plot.get_ylabel() == "IL-6, pg/mL (blood)"


def test_a_zero_sits_on_the_lod_line_of_a_log_axis():
    rows = [(1, [None, None, 10.0]), (2, [None, 5.0, 20.0])]
    plot, median, _band = drawn(figures.lab_series_figure(report("crp", "mg/L", rows)))
    (lod,) = [line for line in plot.get_lines() if line.get_gid() == "lod"]
    # Day 1's median is 0: drawn a decade below the smallest positive value drawn (2.5, day
    # 2's Q1), at 0.1.
    assert lod.get_ydata()[0] == pytest.approx(0.1)
    assert median.get_ydata()[0] == pytest.approx(0.1)


def test_a_blood_count_is_drawn_on_a_linear_axis():
    rows = [(7, [0.2, 0.4, 0.9]), (14, [1.0, 1.5, 3.0])]
    plot, median, _band = drawn(figures.lab_series_figure(report("anc", "10^9/L", rows)))
    assert plot.get_yscale() == "linear"
    assert list(median.get_ydata()) == [0.4, 1.5]


def test_it_draws_in_the_okabe_ito_palette():
    _plot, median, band = drawn(figures.lab_series_figure(report("il6", "pg/mL", IL6)))
    palette = {to_hex(colour) for colour in OKABE_ITO.values()}
    assert to_hex(median.get_color()) in palette
    assert to_hex(band.get_facecolor()[0][:3]) in palette


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([], "No IL-6 value is recorded for the patients in this selection."),
        ([(1, [5.0, 6.0, 7.0]), (2, [5.0])], "fewer than 3 patients on all but one visit day"),
    ],
)
def test_it_says_why_it_cannot_draw(rows, problem):
    found = report("il6", "pg/mL", rows)
    assert problem in figures.lab_series_problem(found)
    with pytest.raises(figures.NothingToDraw):
        figures.lab_series_figure(found)


def test_it_renders_as_svg():
    content = figures.render(figures.lab_series_figure(report("il6", "pg/mL", IL6)), "svg")
    assert b"IL-6, pg/mL (blood)" in content
