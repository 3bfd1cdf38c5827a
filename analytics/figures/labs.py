"""A laboratory value's course: the median and interquartile range by visit day after the
infusion, drawn from the lab series report (analytics.lab_series), so the figure shows the
numbers GET .../analytics/biomarkers/series/ returns."""

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from analytics.figures.drawing import OKABE_ITO, TEXT, new_figure, refuse, style_axes
from analytics.stats import MEDIAN_MIN_PATIENTS

# Analytes that span orders of magnitude between patients and days (a CRS can raise IL-6 a
# thousandfold): drawn on a log axis. Blood counts, haemoglobin and percentages are not.
LOG_SCALE = frozenset({"il6", "ifng", "il10", "tnfa", "sil2r", "ferritin", "crp", "ldh"})
SPECIMEN_NAMES = {"pb": "blood", "bm": "marrow", "csf": "CSF"}


def plotted_days(report: dict) -> list[dict]:
    """The visit days drawn: those with values from at least MEDIAN_MIN_PATIENTS patients,
    as the expansion plot's median line takes them."""
    return [day for day in report["days"] if day["n"] >= MEDIAN_MIN_PATIENTS]


def lab_series_problem(report: dict) -> str | None:
    name = report["analyte_name"]
    if not report["values"]:
        return f"No {name} value is recorded for the patients in this selection."
    if len(plotted_days(report)) < 2:
        return (
            f"{name} is recorded for fewer than {MEDIAN_MIN_PATIENTS} patients on all but one "
            "visit day: too few to draw a median. The table lists every day."
        )
    return None


def lab_series_figure(report: dict) -> Figure:
    """The median (line and markers) and interquartile range (band) by visit day, the days
    evenly spaced and labelled; on a log axis for the analytes of LOG_SCALE, where a value of
    0 (below detection) sits on the "<LOD" line at the bottom."""
    refuse(lab_series_problem(report))
    days = plotted_days(report)
    figure = new_figure(6.4, 4.0)
    plot = figure.subplots()
    style_axes(plot)
    positions = np.arange(len(days))
    median, q1, q3 = (np.array([day[key] for day in days]) for key in ("median", "q1", "q3"))
    drawn = np.concatenate([median, q1, q3])
    if report["analyte"] in LOG_SCALE:
        plot.set_yscale("log")
    floor = None
    if report["analyte"] in LOG_SCALE and (drawn == 0).any():
        floor = _log_floor(drawn)
        median, q1, q3 = (np.maximum(values, floor) for values in (median, q1, q3))
    colour = OKABE_ITO["blue"]
    plot.fill_between(positions, q1, q3, color=colour, alpha=0.22, linewidth=0, gid="iqr")
    (median_line,) = plot.plot(
        positions,
        median,
        color=colour,
        linewidth=2.2,
        marker="o",
        markersize=4,
        gid="median",
        label="Median",
    )
    if floor is not None:
        plot.axhline(floor, color=OKABE_ITO["grey"], linewidth=0.8, zorder=0, gid="lod")
    if report["analyte"] in LOG_SCALE:
        # Levels as a laboratory reports them (10, 100), not as powers of ten.
        plot.yaxis.set_major_formatter(FuncFormatter(lambda level, _: _log_label(level, floor)))
    plot.set_xticks(positions, [str(day["day"]) for day in days])
    plot.tick_params(axis="x", labelsize=9, labelrotation=90 if len(days) > 14 else 0)
    plot.set_xlim(-0.4, len(days) - 0.6)
    plot.set_xlabel("Visit day after infusion (0: baseline)", color=TEXT)
    specimen = SPECIMEN_NAMES.get(report["specimen"], report["specimen"])
    plot.set_ylabel(f"{report['analyte_name']}, {report['unit']} ({specimen})", color=TEXT)
    handles = [median_line, Patch(facecolor=colour, alpha=0.22, label="Interquartile range")]
    plot.legend(handles=handles, loc="upper right", frameon=False, fontsize=10)
    return figure


def _log_floor(values: np.ndarray) -> float:
    """A level a decade below the smallest positive value: where 0 is drawn on a log axis."""
    positive = values[values > 0]
    smallest = positive.min() if len(positive) else 1.0
    return 10 ** (math.floor(math.log10(smallest)) - 1)


def _log_label(level: float, floor: float | None) -> str:
    if floor is not None and math.isclose(level, floor):
        return "<LOD"
    return f"{level:g}"
