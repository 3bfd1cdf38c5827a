"""The paper's Table 1 (patient characteristics) and Table 2 (treatment and outcomes) for
any cohort, from an analysis frame. Layout after An et al., BMC Cancer 2022.

A table is {"title", "n", "columns", "rows"}; each row has every column (None where the
paper leaves the cell empty). Percentages are of the patients with the value recorded,
rounded half up to whole numbers as in the paper; a "Not recorded" row counts the others.
"""

import math

import numpy as np
import pandas as pd

from analytics import stats
from analytics.cohort import is_true
from registry.choices import ResponseStatus, Sex

CHARACTERISTICS_COLUMNS = ("section", "characteristic", "n", "percent", "median", "min", "max")
OUTCOMES_COLUMNS = (
    "section",
    "characteristic",
    "n",
    "percent",
    "total",
    "in_remission",
    "relapsed",
    "died",
)
# Interval from the last murine CD19 CAR-T, in months: [low, high) and its label.
INTERVALS = ((0, 6, "< 6"), (6, 12, "6 to < 12"), (12, math.inf, "≥ 12"))


def characteristics_table(frame: pd.DataFrame) -> dict:
    rows = [
        *_age(frame),
        *_split(frame, "Sex", "sex", dict(Sex.choices)),
        *_yes_no(frame, "Prior allo-HCT", "prior_allo_hct"),
        *_yes_no(frame, "CD22 CAR-T (simultaneously with or after mCD19 CAR-T)", "prior_cd22_cart"),
        *_disease_status(frame),
        *_genetics(frame),
        *_intervals(frame),
    ]
    return _table("Patient characteristics", frame, CHARACTERISTICS_COLUMNS, rows)


def outcomes_table(frame: pd.DataFrame) -> dict:
    crs = _grade_labels(frame["crs_grade"], lambda grade: str(grade))
    icans = _grade_labels(
        frame["icans_grade"], lambda grade: "No" if grade == 0 else f"Grade {grade}"
    )
    rows = [
        *_split(frame, "Grade of CRS", "crs_grade", crs),
        *_split(frame, "Neurotoxicity", "icans_grade", icans),
        *_response(frame),
        *_follow_up(frame),
    ]
    return _table("hCD19 CAR-T treatment and outcomes", frame, OUTCOMES_COLUMNS, rows)


def _table(title: str, frame: pd.DataFrame, columns: tuple, rows: list[dict]) -> dict:
    return {
        "title": title,
        "n": len(frame),
        "columns": list(columns),
        "rows": [{column: row.get(column) for column in columns} for row in rows],
    }


def _count(section: str, characteristic: str, n: int, known: int) -> dict:
    return {
        "section": section,
        "characteristic": characteristic,
        "n": int(n),
        "percent": _percent(n, known),
    }


def _percent(n: int, known: int) -> int | None:
    return None if known == 0 else math.floor(100 * n / known + 0.5)


def _split(frame: pd.DataFrame, section: str, column: str, labels: dict) -> list[dict]:
    counts = frame[column].value_counts()  # of the known values, in one pass
    known = int(counts.sum())
    rows = [_count(section, label, counts.get(value, 0), known) for value, label in labels.items()]
    return rows + _not_recorded(section, len(frame) - known)


def _yes_no(frame: pd.DataFrame, section: str, column: str) -> list[dict]:
    return _split(frame, section, column, {True: "Yes", False: "No"})


def _not_recorded(section: str, missing: int) -> list[dict]:
    if not missing:
        return []
    return [{"section": section, "characteristic": "Not recorded", "n": missing}]


def _median_row(section: str, values: pd.Series) -> dict:
    summary = stats.summary(values.to_numpy(dtype=float, na_value=np.nan))
    return {
        "section": section,
        "characteristic": "Median",
        "n": summary["n"],
        "median": summary["median"],
        "min": summary["min"],
        "max": summary["max"],
    }


def _age(frame: pd.DataFrame) -> list[dict]:
    section = "Age (years)"
    groups = {"child": "Children (< 18)", "adult": "Adults"}
    return [_median_row(section, frame["age_years"]), *_split(frame, section, "age_group", groups)]


def _disease_status(frame: pd.DataFrame) -> list[dict]:
    section = "Disease status at enrollment"
    status = frame["disease_status"]
    counts = status.value_counts()  # of the known statuses
    known = int(counts.sum())
    # Whole columns, not the groups' rows: selecting rows copies every column.
    isolated = (status == "isolated_bm").to_numpy()
    emd = status.isin(["bm_and_emd", "emd_only"]).to_numpy()
    sites = frame["emd_sites"].to_numpy(dtype=float, na_value=0)
    cns = emd & is_true(frame["cns_involvement"])
    multiple = emd & (sites >= 2)
    return [
        _count(
            section,
            f"Isolated BM{_blast_range(frame['bm_blast_pct'][isolated])}",
            isolated.sum(),
            known,
        ),
        _count(section, "Extramedullary disease (EMD)", emd.sum(), known),
        {"section": section, "characteristic": "EMD only", "n": int(counts.get("emd_only", 0))},
        {
            "section": section,
            "characteristic": "BM and EMD",
            "n": int(counts.get("bm_and_emd", 0)),
        },
        {"section": section, "characteristic": "CNS", "n": int(cns.sum())},
        {
            "section": section,
            "characteristic": f"Multiple sites ({int((multiple & cns).sum())} with CNS)",
            "n": int(multiple.sum()),
        },
        *_not_recorded(section, len(frame) - known),
    ]


def _blast_range(blasts: pd.Series) -> str:
    blasts = blasts.dropna()
    return f" (blasts {blasts.min():g}–{blasts.max():g}%)" if len(blasts) else ""


def _genetics(frame: pd.DataFrame) -> list[dict]:
    section = "Adverse genetic changes"
    ph_like = is_true(frame["ph_like"])
    with_tp53 = int((ph_like & is_true(frame["tp53_mutation"])).sum())
    return [
        _count(
            section,
            "BCR/ABL",
            is_true(frame["bcr_abl1"]).sum(),
            int(frame["bcr_abl1"].notna().sum()),
        ),
        _count(
            section,
            f"Ph-like ({with_tp53} with TP53 gene mutation)",
            ph_like.sum(),
            int(frame["ph_like"].notna().sum()),
        ),
    ]


def _intervals(frame: pd.DataFrame) -> list[dict]:
    section = "Interval time between last mCD19 CAR-T and hCD19 CAR-T (months)"
    months = frame["mcd19_interval_months"].to_numpy(dtype=float, na_value=np.nan)
    known = int((~np.isnan(months)).sum())
    rows = [
        _count(section, label, ((months >= low) & (months < high)).sum(), known)
        for low, high, label in INTERVALS
    ]
    return rows + _not_recorded(section, len(frame) - known)


def _grade_labels(grades: pd.Series, label) -> dict:
    return {int(grade): label(int(grade)) for grade in sorted(grades.dropna().unique())}


def _response(frame: pd.DataFrame) -> list[dict]:
    section = "Treatment response on D30"
    counts = frame["d30_response"].value_counts(dropna=False)  # in one pass, None included
    total = len(frame)
    rows = [
        _count(section, "CR", is_true(frame["responder"]).sum(), total),
        _count(section, "NR", counts.get("nr", 0), total),
    ]
    not_evaluable = ResponseStatus.NOT_EVALUABLE
    for value, label in ((not_evaluable, not_evaluable.label), (None, "Not assessed")):
        n = int(counts[counts.index.isna()].sum() if value is None else counts.get(value, 0))
        if n:
            rows.append(_count(section, label, n, total))
    return rows


def _follow_up(frame: pd.DataFrame) -> list[dict]:
    # Counted over whole columns: taking each group's rows would copy the frame six times.
    rows = []
    response = frame["responder"]
    transplanted = is_true(frame["hct_after_infusion"])
    relapsed, died = is_true(frame["relapse"]), is_true(frame["death"])
    for name, members in (
        ("CR group", is_true(response)),
        ("NR group", response.eq(False).fillna(False).to_numpy(bool)),
    ):
        rows.append({"section": "Follow-up", "characteristic": name, "total": int(members.sum())})
        for label, part in (
            ("allo-HCT", members & transplanted),
            ("non-HCT", members & ~transplanted),
        ):
            rows.append(
                {
                    "section": f"Follow-up: {name}",
                    "characteristic": label,
                    "total": int(part.sum()),
                    "in_remission": int((part & ~relapsed & ~died).sum()),
                    "relapsed": int((part & relapsed).sum()),
                    "died": int((part & died).sum()),
                }
            )
    return rows
