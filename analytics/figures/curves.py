"""Step curves over months from the infusion: Kaplan–Meier and cumulative incidence, drawn
from analytics.reports' survival and incidence reports."""

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from analytics.figures.drawing import (
    GROUP_COLOURS,
    GROUP_LINE_STYLES,
    LINE,
    MUTED,
    OKABE_ITO,
    TEXT,
    floats,
    new_figure,
    refuse,
    style_axes,
)
from analytics.figures.labels import COVARIATE_LABELS, ENDPOINT_NAMES, format_p, group_name

# Censored patients are marked on a Kaplan–Meier curve with a tick, as R's plot.survfit does.
CENSOR_MARKER = "|"


def month_ticks(longest: float | None) -> tuple[float, ...]:
    """Months 0, step, 2×step… up to the longest follow-up, in at most 8 ticks."""
    if longest is None or not math.isfinite(longest) or longest <= 0:
        return (0.0,)
    step = next((step for step in (3, 6, 12, 24, 60) if longest / step <= 7), 120)
    return tuple(float(step * tick) for tick in range(math.ceil(longest / step) + 1))


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


def km_figure(report: dict) -> Figure:
    """survival_report's curves with their 95% bands, and the number at risk at each of its
    estimate times (taken as the x ticks) in a table beneath."""
    refuse(km_problem(report))
    groups = [group for group in report["groups"] if group["n"]]
    months = [estimate["month"] for estimate in groups[0]["estimates"]]
    figure = new_figure(6.4, 4.4 + 0.22 * len(groups))
    plot, at_risk = figure.subplots(2, 1, sharex=True, height_ratios=[5, 0.6 + 0.3 * len(groups)])
    style_axes(plot)
    colours = dict(zip((group["value"] for group in groups), GROUP_COLOURS, strict=False))
    for group, line_style in zip(groups, GROUP_LINE_STYLES, strict=False):
        curve, colour = group["curve"], colours[group["value"]]
        # From 100% at month 0, so that events at month 0 (non-response, among all
        # patients) show as a drop rather than a curve starting lower.
        timeline = np.r_[0.0, floats(curve["months"])]
        survival = np.r_[1.0, floats(curve["survival"])]
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
            np.r_[1.0, floats(curve["ci95_lower"])],
            np.r_[1.0, floats(curve["ci95_upper"])],
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
    months = floats(censored)
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


def _months_label(report: dict) -> str:
    landmark = report.get("landmark")
    if landmark is not None:
        return f"Months from the {landmark:g}-month landmark"
    return "Months from infusion"


# Cumulative incidence

# A step curve is estimated at every observed time up to this many, else on an even grid of
# this many: exact steps for a registry-sized cohort, a fine approximation beyond.
MAX_CURVE_TIMES = 400


def curve_times(months: Sequence[float], ticks: Sequence[float]) -> tuple[float, ...]:
    """The times at which to estimate a step curve so that drawing it shows its steps."""
    observed = np.unique(floats(months))
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
    refuse(incidence_problem(report))
    figure = new_figure(6.4, 4.2)
    plot = figure.subplots()
    style_axes(plot)
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
