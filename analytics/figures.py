"""The dashboard's figures, drawn with matplotlib from an analysis frame or a report's dict.

Nothing here reads the ORM or computes a statistic: survival, incidence and grade counts
come from analytics.reports, so a figure shows exactly what the API returns; the swimmer
plot and the expansion curves draw the analysis dataset's own values.

Each figure has a `*_problem` function saying why it cannot be drawn (None when it can);
its drawing function raises NothingToDraw with that message, so the page can show the
message instead of an image without drawing anything. Figures are built as
matplotlib.figure.Figure on an Agg canvas, never through pyplot, so concurrent requests
share no state.
"""

import io
import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from analytics import stats
from analytics.cohort import is_true

# SVG text stays text (crisp at any size, in the page's sans-serif); ids and metadata do not
# change between renderings of the same figure.
matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "car-t-registry"})

# The page's text and rule colours (static/css/registry.css), for axes and labels.
TEXT, MUTED, LINE = "#1c2430", "#5a6473", "#d6dbe2"
# Every colour that tells data apart comes from the Okabe–Ito palette (with its grey, as in
# the R Graphics Cookbook), readable with any common colour-vision deficiency; each group
# also has its own marker shape or line style, so that no figure relies on colour alone.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
# Yellow is left out of lines and bars: too pale on white.
GROUP_COLOURS = tuple(
    OKABE_ITO[name]
    for name in ("blue", "orange", "bluish_green", "reddish_purple", "sky_blue", "vermillion")
)
GROUP_LINE_STYLES = ("solid", "dashed", "dashdot", "dotted", (0, (5, 1, 1, 1)), (0, (1, 3)))
RESPONSE_COLOURS = {
    True: OKABE_ITO["blue"],
    False: OKABE_ITO["vermillion"],
    None: OKABE_ITO["grey"],
}
RESPONSE_MARKERS = {True: "o", False: "s", None: "^"}
# The swimmer plot's bars, told apart without colour too.
RESPONSE_HATCHES = {True: "", False: "////", None: "...."}
RESPONSE_NAMES = {True: "CR/CRi at day 30", False: "No response", None: "Not assessed"}
# Censored patients are marked on a Kaplan–Meier curve with a tick, as R's plot.survfit does.
CENSOR_MARKER = "|"

# Above this many patients one bar or line each is no longer readable.
MAX_PATIENTS_DRAWN = 100
# Undetectable CAR-T counts (0) are drawn at this level of the log axis, labelled "ND".
NOT_DETECTED_AT = 0.01
PNG_DPI = 200


class NothingToDraw(Exception):
    """The selection has nothing this figure could show; the message says why."""


# The covariates a clinician compares groups by, as they would name them.
COVARIATE_LABELS = {
    "prior_allo_hct": "Prior allo-HCT",
    "prior_cd22_cart": "Prior CD22 CAR-T",
    "age_group": "Age group",
    "mcd19_interval_months": "Months from the last murine CD19 CAR-T",
    "disease_status": "Disease status at enrolment",
    "hct_after_infusion": "Allo-HCT after the infusion",
    "consolidative_hct": "Allo-HCT in remission",
    "d30_response": "Day-30 response",
    "sex": "Sex",
    "site": "Site",
    "age_years": "Age (years)",
    "dose_cells_per_kg": "Dose (cells/kg)",
}
VALUE_LABELS = {
    "child": "Children (< 18)",
    "adult": "Adults",
    "male": "Male",
    "female": "Female",
    "isolated_bm": "Isolated BM",
    "bm_and_emd": "BM and EMD",
    "emd_only": "EMD only",
}


def value_label(value) -> str:
    """A covariate's value as a clinician reads it: True "Yes", "<12" "< 12", "emd_only"
    "EMD only"."""
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if value is None:
        return "Not recorded"
    if isinstance(value, str) and value.startswith(">="):
        return f"≥ {value[2:]}"
    if isinstance(value, str) and value.startswith("<"):
        return f"< {value[1:]}"
    return VALUE_LABELS.get(value, str(value))


def month_ticks(longest: float | None) -> tuple[float, ...]:
    """Months 0, step, 2×step… up to the longest follow-up, in at most 8 ticks."""
    if longest is None or not math.isfinite(longest) or longest <= 0:
        return (0.0,)
    step = next((step for step in (3, 6, 12, 24, 60) if longest / step <= 7), 120)
    return tuple(float(step * tick) for tick in range(math.ceil(longest / step) + 1))


def render(figure: Figure, image_format: str, caption: str = "") -> bytes:
    """The figure as PNG or SVG bytes, with the caption under it."""
    if caption:
        # A downloaded figure says which data it shows, away from the page that said it.
        figure.supxlabel(caption, fontsize=8, color=MUTED)
    content = io.BytesIO()
    metadata = {"Date": None} if image_format == "svg" else {}
    figure.savefig(content, format=image_format, dpi=PNG_DPI, metadata=metadata)
    return content.getvalue()


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _style(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color(LINE)
    axes.tick_params(colors=MUTED, labelcolor=TEXT, labelsize=10)
    axes.grid(axis="y", color=LINE, linewidth=0.6, alpha=0.7)
    axes.set_axisbelow(True)


def _refuse(problem: str | None) -> None:
    if problem:
        raise NothingToDraw(problem)


def _floats(values: Sequence) -> np.ndarray:
    return np.array([np.nan if value is None else value for value in values], dtype=float)


# Kaplan–Meier


def km_problem(report: dict) -> str | None:
    if not report["groups"]:
        label = COVARIATE_LABELS.get(report["by"], report["by"])
        return f"No patient in this selection has “{label}” recorded."
    if not any(group["n"] for group in report["groups"]):
        return "No patient in this selection has been infused and followed up."
    if not any(group["events"] for group in report["groups"]):
        return "No patient in this selection has an event yet."
    return None


ENDPOINT_NAMES = {
    "efs": "Event-free survival",
    "rfs": "Relapse-free survival",
    "os": "Overall survival",
}


def km_figure(report: dict) -> Figure:
    """survival_report's curves with their 95% bands, and the number at risk at each of its
    estimate times (taken as the x ticks) in a table beneath."""
    _refuse(km_problem(report))
    groups = [group for group in report["groups"] if group["n"]]
    months = [estimate["month"] for estimate in groups[0]["estimates"]]
    figure = _figure(6.4, 4.4 + 0.22 * len(groups))
    plot, at_risk = figure.subplots(2, 1, sharex=True, height_ratios=[5, 0.6 + 0.3 * len(groups)])
    _style(plot)
    colours = dict(zip((group["value"] for group in groups), GROUP_COLOURS, strict=False))
    for group, line_style in zip(groups, GROUP_LINE_STYLES, strict=False):
        curve, colour = group["curve"], colours[group["value"]]
        # From 100% at month 0, so that events at month 0 (non-response, among all
        # patients) show as a drop rather than a curve starting lower.
        timeline = np.r_[0.0, _floats(curve["months"])]
        survival = np.r_[1.0, _floats(curve["survival"])]
        plot.step(
            timeline,
            survival,
            where="post",
            color=colour,
            linewidth=2,
            linestyle=line_style,
            label=f"{group_name(report, group['value'])} (n = {group['n']})",
        )
        _censor_marks(plot, timeline, survival, curve["censored_months"], colour)
        plot.fill_between(
            timeline,
            np.r_[1.0, _floats(curve["ci95_lower"])],
            np.r_[1.0, _floats(curve["ci95_upper"])],
            step="post",
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
    plot.set_ylim(0, 1.04)
    plot.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    plot.set_ylabel(ENDPOINT_NAMES[report["endpoint"]], color=TEXT)
    plot.legend(
        loc="lower left",
        frameon=False,
        fontsize=10,
        title=COVARIATE_LABELS.get(report["by"], report["by"]),
        title_fontsize=10,
        alignment="left",
    )
    if report["logrank_p"] is not None:
        plot.text(
            0.98,
            0.96,
            f"Log-rank p = {format_p(report['logrank_p'])}",
            transform=plot.transAxes,
            ha="right",
            va="top",
            fontsize=10,
            color=TEXT,
        )
    _at_risk_table(at_risk, groups, colours, report)
    at_risk.set_xticks(months)
    at_risk.set_xlim(0, max(months[-1], 1e-9))
    at_risk.xaxis.set_major_formatter(FuncFormatter(lambda month, _: f"{month:g}"))
    at_risk.set_xlabel(_months_label(report), color=TEXT)
    return figure


def _censor_marks(
    plot, timeline: np.ndarray, survival: np.ndarray, censored: Sequence[float], colour: str
) -> None:
    """A tick on the curve at each censored time, at the curve's height then."""
    months = _floats(censored)
    heights = survival[np.searchsorted(timeline, months, side="right") - 1]
    plot.plot(
        months,
        heights,
        linestyle="none",
        marker=CENSOR_MARKER,
        markersize=8,
        markeredgewidth=1.4,
        color=colour,
        gid="censored",
    )


def _at_risk_table(axes, groups: list[dict], colours: dict, report: dict) -> None:
    for row, group in enumerate(groups):
        for estimate in group["estimates"]:
            axes.text(
                estimate["month"],
                row,
                str(estimate["at_risk"]),
                ha="center",
                va="center",
                fontsize=10,
                color=colours[group["value"]],
            )
    axes.set_ylim(len(groups) - 0.5, -0.5)
    axes.set_yticks(range(len(groups)), [group_name(report, group["value"]) for group in groups])
    for label, group in zip(axes.get_yticklabels(), groups, strict=True):
        label.set_color(colours[group["value"]])
    # Padded so that a row's name clears the count at month 0, centred on the axis.
    axes.tick_params(axis="y", length=0, labelsize=10, pad=16)
    axes.tick_params(axis="x", colors=MUTED, labelcolor=TEXT, labelsize=10)
    axes.spines[["top", "right", "left"]].set_visible(False)
    axes.spines["bottom"].set_color(LINE)
    axes.set_title("Number at risk", loc="left", fontsize=10, color=MUTED)


def group_name(report: dict, value) -> str:
    if report["by"] is None:
        return "Responders" if report["population"] == "responders" else "All patients"
    return value_label(value)


def _months_label(report: dict) -> str:
    landmark = report.get("landmark")
    if landmark is not None:
        return f"Months from the {landmark:g}-month landmark"
    return "Months from infusion"


def format_p(p: float) -> str:
    """As the paper gives them: 0.0108, 0.029, 1.0; below 0.001 as "< 0.001"."""
    if p < 0.001:
        return "< 0.001"
    text = f"{p:.4f}".rstrip("0")
    return f"{text}0" if text.endswith(".") else text


# Cumulative incidence

# A step curve is estimated at every observed time up to this many, else on an even grid of
# this many: exact steps for a registry-sized cohort, a fine approximation beyond.
MAX_CURVE_TIMES = 400


def curve_times(months: Sequence[float], ticks: Sequence[float]) -> tuple[float, ...]:
    """The times at which to estimate a step curve so that drawing it shows its steps."""
    observed = np.unique(_floats(months))
    observed = observed[~np.isnan(observed)]
    if len(observed) > MAX_CURVE_TIMES:
        observed = np.linspace(0, observed.max(), MAX_CURVE_TIMES)
    return tuple(sorted({*(float(month) for month in observed), *ticks}))


def incidence_problem(report: dict) -> str | None:
    if not report["n"]:
        return "No day-30 responder in this selection."
    found = [point["incidence"] for point in report["relapse"] + report["nrm"]]
    if not any(found):
        return "No responder in this selection has relapsed or died yet."
    return None


def incidence_figure(report: dict) -> Figure:
    """incidence_report's relapse and non-relapse mortality, estimated at every time it was
    asked for (the dashboard asks at every observed time, so the steps are exact)."""
    _refuse(incidence_problem(report))
    figure = _figure(6.4, 4.2)
    plot = figure.subplots()
    _style(plot)
    for name, colour, line_style, label in (
        ("relapse", OKABE_ITO["vermillion"], "solid", "Relapse"),
        ("nrm", OKABE_ITO["black"], "dashed", "Non-relapse mortality"),
    ):
        points = [point for point in report[name] if point["incidence"] is not None]
        months = [point["month"] for point in points]
        incidence = [point["incidence"] for point in points]
        lower = [point["ci95"][0] if point["ci95"] else np.nan for point in points]
        upper = [point["ci95"][1] if point["ci95"] else np.nan for point in points]
        plot.step(
            months,
            incidence,
            where="post",
            color=colour,
            linewidth=2,
            linestyle=line_style,
            label=label,
        )
        plot.fill_between(months, lower, upper, step="post", color=colour, alpha=0.12, linewidth=0)
    plot.set_ylim(0, 1.04)
    plot.set_xlim(left=0)
    plot.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    plot.set_ylabel("Cumulative incidence", color=TEXT)
    plot.set_xlabel("Months from infusion", color=TEXT)
    plot.legend(
        loc="upper left",
        frameon=False,
        fontsize=10,
        title=f"{report['n']} patients",
        title_fontsize=10,
        alignment="left",
    )
    return figure


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
    _refuse(swimmer_problem(frame))
    patients = frame[frame["followup_months"].notna()].sort_values(
        ["followup_months", "study_id"], ascending=[True, False]
    )
    figure = _figure(6.4, 1.6 + 0.26 * len(patients))
    plot = figure.subplots()
    _style(plot)
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
    _refuse(expansion_problem(frame, counts))
    figure = _figure(6.4, 4.2)
    plot = figure.subplots()
    _style(plot)
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


# CRS and ICANS grades


def grades_problem(toxicity: dict) -> str | None:
    counted = [
        row["n"]
        for name in ("crs", "icans")
        for source in ("recorded", "computed")
        for row in toxicity[name][source]
    ]
    if not any(counted):
        return "No CRS or ICANS grade is recorded or computed for the patients in this selection."
    return None


def grades_figure(toxicity: dict) -> Figure:
    """toxicity_report's CRS and ICANS grade distributions side by side: as the sites
    recorded them and as computed from the daily assessments (ASTCT)."""
    _refuse(grades_problem(toxicity))
    figure = _figure(6.4, 3.6)
    panels = figure.subplots(1, 2, sharey=True)
    for plot, (name, title) in zip(panels, (("crs", "CRS"), ("icans", "ICANS")), strict=True):
        _style(plot)
        for offset, source, colour, hatch, label in (
            (-0.2, "recorded", OKABE_ITO["blue"], "", "Recorded by the site"),
            (0.2, "computed", OKABE_ITO["orange"], "////", "Computed (ASTCT, daily)"),
        ):
            rows = toxicity[name][source]
            bars = plot.bar(
                [row["grade"] + offset for row in rows],
                [row["n"] for row in rows],
                width=0.38,
                color=colour,
                edgecolor="white",
                hatch=hatch,
                label=label,
            )
            plot.bar_label(
                bars, labels=[str(row["n"]) if row["n"] else "" for row in rows], fontsize=9
            )
        plot.set_xticks(range(6))
        plot.set_title(f"{title} grade", fontsize=11, color=TEXT)
        plot.yaxis.get_major_locator().set_params(integer=True)
    panels[0].set_ylabel("Patients", color=TEXT)
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=10)
    return figure
