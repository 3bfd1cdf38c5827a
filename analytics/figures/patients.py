"""One bar or line per patient: the swimmer plot of each patient's course and the CAR-T
expansion curves, drawn from the analysis dataset's own values."""

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from analytics import stats
from analytics.cohort import is_true
from analytics.figures.drawing import (
    LINE,
    OKABE_ITO,
    RESPONSE_COLOURS,
    RESPONSE_HATCHES,
    RESPONSE_MARKERS,
    RESPONSE_NAMES,
    TEXT,
    new_figure,
    refuse,
    style_axes,
)

# Above this many patients one bar or line each is no longer readable.
MAX_PATIENTS_DRAWN = 100
# Undetectable CAR-T counts (0) are drawn at this level of the log axis, labelled "ND".
NOT_DETECTED_AT = 0.01


# Swimmer plot


def swimmer_problem(frame: pd.DataFrame) -> str | None:
    followed = int(frame["followup_months"].notna().sum())
    if not followed:
        return "No patient in this selection has been infused."
    if followed > MAX_PATIENTS_DRAWN:
        return (
            f"{followed} patients: the swimmer plot draws at most {MAX_PATIENTS_DRAWN}. "
            "Narrow the filters to see one bar per patient."
        )
    return None


def swimmer_figure(frame: pd.DataFrame) -> Figure:
    """One bar per patient from the infusion to death or last contact (as the paper's
    Fig. 2), coloured by day-30 response, with transplant, relapse and death marked and an
    arrow where the patient was alive at last contact."""
    refuse(swimmer_problem(frame))
    patients = frame[frame["followup_months"].notna()].sort_values(
        ["followup_months", "study_id"], ascending=[True, False]
    )
    figure = new_figure(6.4, 1.6 + 0.26 * len(patients))
    plot = figure.subplots()
    style_axes(plot)
    plot.grid(axis="y", visible=False)
    plot.grid(axis="x", color=LINE, linewidth=0.6, alpha=0.7)
    rows = np.arange(len(patients))
    responders = [_plain_response(value) for value in patients["responder"]]
    bars = plot.barh(
        rows,
        patients["followup_months"].to_numpy(dtype=float),
        height=0.62,
        color=[RESPONSE_COLOURS[value] for value in responders],
        edgecolor="white",
        linewidth=0,
        alpha=0.85,
    )
    for bar, response in zip(bars, responders, strict=True):
        bar.set_hatch(RESPONSE_HATCHES[response])
    alive = ~is_true(patients["death"])
    longest = float(patients["followup_months"].max())
    plot.plot(
        patients["followup_months"].to_numpy(dtype=float)[alive] + longest * 0.012,
        rows[alive],
        linestyle="none",
        marker=">",
        markersize=5,
        color=OKABE_ITO["black"],
        label="Alive at last contact",
    )
    for column, style in MARKS.items():
        months = patients[column].to_numpy(dtype=float, na_value=np.nan)
        shown = ~np.isnan(months)
        plot.plot(months[shown], rows[shown], linestyle="none", **style)
    plot.set_yticks(rows, patients["study_id"].tolist())
    plot.tick_params(axis="y", length=0, labelsize=9)
    plot.set_ylim(-0.7, len(patients) - 0.3)
    plot.set_xlim(0, longest * 1.05)
    plot.set_xlabel("Months from infusion", color=TEXT)
    handles = [
        *(
            Patch(
                facecolor=RESPONSE_COLOURS[key],
                edgecolor="white",
                hatch=RESPONSE_HATCHES[key],
                label=name,
            )
            for key, name in RESPONSE_NAMES.items()
            if key in responders
        ),
        *(Line2D([], [], linestyle="none", **style) for style in MARKS.values()),
        Line2D(
            [],
            [],
            linestyle="none",
            marker=">",
            color=OKABE_ITO["black"],
            label="Alive at last contact",
        ),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False, fontsize=9)
    return figure


def _plain_response(value) -> bool | None:
    return None if pd.isna(value) else bool(value)


MARKS = {
    "hct_months": {
        "marker": "D",
        "markersize": 6,
        "color": OKABE_ITO["reddish_purple"],
        "markeredgecolor": "white",
        "label": "Allo-HCT",
    },
    "relapse_months": {
        "marker": "X",
        "markersize": 8,
        "color": OKABE_ITO["yellow"],
        "markeredgecolor": OKABE_ITO["black"],
        "label": "Relapse",
    },
    "death_months": {"marker": "s", "markersize": 6, "color": OKABE_ITO["black"], "label": "Death"},
}


# CAR-T expansion


def expansion_problem(frame: pd.DataFrame, counts: Mapping[str, list]) -> str | None:
    counted = [study_id for study_id in frame["study_id"] if counts.get(study_id)]
    if not counted:
        return "No CAR-T count is recorded for the patients in this selection."
    if len(counted) > MAX_PATIENTS_DRAWN:
        return (
            f"{len(counted)} patients have CAR-T counts: the expansion plot draws at most "
            f"{MAX_PATIENTS_DRAWN}. Narrow the filters to see one curve per patient."
        )
    return None


def expansion_figure(frame: pd.DataFrame, counts: Mapping[str, list]) -> Figure:
    """CAR-T cells/µL in blood by day after infusion, one line per patient on a log axis,
    coloured and marked by day-30 response, and the median across patients
    (stats.car_t_median_by_day) as a thick black line; undetectable counts sit on the "ND"
    line at the bottom."""
    refuse(expansion_problem(frame, counts))
    figure = new_figure(6.4, 4.2)
    plot = figure.subplots()
    style_axes(plot)
    shown: dict[bool | None, int] = {}
    for study_id, responder in zip(frame["study_id"], frame["responder"], strict=True):
        if not counts.get(study_id):
            continue
        response = _plain_response(responder)
        shown[response] = shown.get(response, 0) + 1
        _patient_line(plot, counts[study_id], response)
    handles = [
        Line2D(
            [],
            [],
            color=RESPONSE_COLOURS[key],
            marker=RESPONSE_MARKERS[key],
            linewidth=2,
            label=f"{name} ({shown[key]})",
        )
        for key, name in RESPONSE_NAMES.items()
        if key in shown
    ]
    handles += _median_line(plot, [counts[key] for key in frame["study_id"] if counts.get(key)])
    plot.set_yscale("log")
    plot.axhline(NOT_DETECTED_AT, color=OKABE_ITO["grey"], linewidth=0.8, zorder=0, gid="nd")
    plot.set_ylim(bottom=NOT_DETECTED_AT / 1.6)
    plot.yaxis.set_major_formatter(FuncFormatter(_cells_label))
    plot.set_xlim(left=0)
    plot.set_xlabel("Days after infusion", color=TEXT)
    plot.set_ylabel("CAR-T cells/µL (blood)", color=TEXT)
    plot.legend(handles=handles, loc="upper right", frameon=False, fontsize=10)
    return figure


def _patient_line(plot, samples: list, response: bool | None) -> None:
    plot.plot(
        [day for day, _ in samples],
        [max(level, NOT_DETECTED_AT) for _, level in samples],
        color=RESPONSE_COLOURS[response],
        alpha=0.75,
        linewidth=1.3,
        marker=RESPONSE_MARKERS[response],
        markersize=3,
    )


def _median_line(plot, samples: list[list]) -> list[Line2D]:
    """The median line, and its legend entry (none when no day has enough patients)."""
    medians = stats.car_t_median_by_day(samples)
    if not medians:
        return []
    label = f"Median (days with counts from ≥ {stats.MEDIAN_MIN_PATIENTS} patients)"
    (line,) = plot.plot(
        [median.day for median in medians],
        [max(median.cells_per_ul, NOT_DETECTED_AT) for median in medians],
        color=OKABE_ITO["black"],
        linewidth=2.6,
        zorder=5,
        label=label,
        gid="median",
    )
    return [line]


def _cells_label(level: float, _position) -> str:
    if math.isclose(level, NOT_DETECTED_AT):
        return "ND"
    return f"{level:g}"
