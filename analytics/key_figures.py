"""The key figures of a selection, as the dashboard and the study's admin page show them,
and the numbers' formats they share."""

from analytics.cohort import RESPONDERS
from analytics.selection import Selection


def key_figures(selection: Selection, toxicity: dict) -> list[dict]:
    """The tiles atop the page; each line of a tile says what its number counts."""
    n = toxicity["n"]
    counted = "day-30 responders" if selection.population == RESPONDERS else "patients"
    return [
        {"label": "Patients", "value": str(n), "details": [f"{counted} in this selection"]},
        _response_tile(selection.result("response")),
        _follow_up_tile(selection.result("follow-up")),
        *(
            _grade_tile(toxicity, name, label)
            for name, label in (("crs", "CRS"), ("icans", "ICANS"))
        ),
        _kinetics_tile(selection.result("kinetics")),
    ]


def _response_tile(response: dict) -> dict:
    details = [f"CR/CRi in {response['responders']} of {response['n']} with a day-30 assessment"]
    if response["not_evaluable"]:
        details.append(
            f"{response['not_evaluable']} of them not evaluable, counted as non-responders"
        )
    return {
        "label": "Day-30 response",
        "value": percent_text(response["rate"]),
        "details": [*details, f"95% CI {interval_text(response['ci95'])}"],
    }


def _follow_up_tile(follow_up: dict) -> dict:
    return {
        "label": "Median follow-up",
        "value": _months(follow_up["median_months"]),
        "details": [
            f"among {follow_up['survivors']} patients alive at last contact",
            f"range {_range(follow_up['range_months'])}",
        ],
    }


def _grade_tile(toxicity: dict, name: str, label: str) -> dict:
    # The analysed grade (analytics.dataset): the site's recorded maximum, else the one
    # computed from the daily assessments.
    grades, n = toxicity[name], toxicity["n"]
    return {
        "label": f"{label}, any grade",
        "value": percent_text(grades["any_grade"] / n if n else None),
        "details": [
            f"{grades['any_grade']} of {n} patients",
            f"grade ≥ 3 in {grades['grade_3_or_higher']}",
            "grade as recorded by the site, else computed from the daily assessments (ASTCT)",
        ],
    }


def _kinetics_tile(kinetics: dict) -> dict:
    peak = kinetics["summary"]["cmax_cells_per_ul"]["median"]
    return {
        "label": "CAR-T detected",
        "value": f"{kinetics['detected']} of {kinetics['with_counts']}",
        "details": [
            "patients with detectable CAR-T cells, of those with counts",
            "no expansion" if peak is None else f"median peak among them {peak:.3g} cells/µL",
        ],
    }


def percent_text(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.0f}%"


def interval_text(pair: list | None) -> str:
    return "—" if pair is None else f"{100 * pair[0]:.0f}–{100 * pair[1]:.0f}%"


def estimate_text(value: float | None, pair: list | None) -> str:
    if value is None:
        return "—"
    if pair is None:
        return percent_text(value)
    return f"{percent_text(value)} ({100 * pair[0]:.0f}–{100 * pair[1]:.0f})"


def _months(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} mo"


def _range(pair: list | None) -> str:
    return "—" if pair is None else f"{pair[0]:.1f}–{pair[1]:.1f} mo"
