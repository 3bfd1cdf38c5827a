"""CRS and ICANS grades, as the sites recorded them and as computed (ASTCT)."""

from matplotlib.figure import Figure

from analytics.figures.drawing import OKABE_ITO, TEXT, new_figure, refuse, style_axes


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
    refuse(grades_problem(toxicity))
    figure = new_figure(6.4, 3.6)
    panels = figure.subplots(1, 2, sharey=True)
    for plot, (name, title) in zip(panels, (("crs", "CRS"), ("icans", "ICANS")), strict=True):
        style_axes(plot)
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
