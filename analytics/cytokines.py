"""The cytokine-peak table of GET .../analytics/biomarkers/ (the seed's Table S3): for IL-6,
IFN-γ, IL-10, ferritin and CRP, the peak in days 0–30 (the analysis dataset's
<analyte>_peak_* columns, registry.biomarkers.peak) summarised by CRS grade group.

The groups are grade 0–1 and grade 2 or higher, of the CRS grade as analysed (the site's
recorded maximum, else the one computed from the daily assessments): the split between
mild CRS and CRS that needs treatment for hypotension or hypoxia, which the seed cohort's
grades (15 grade 1, 2 grade 2, one grade 4) allow. The seed paper's text does not give
Table S3's test; the registry compares the groups with the two-sided Wilcoxon rank-sum
(Mann–Whitney) test, as R's wilcox.test (analytics.stats.rank_sum_p). Plain pandas over
the frame; nothing here touches the ORM.
"""

import numpy as np
import pandas as pd

from analytics import stats
from analytics.dataset import PEAK_ANALYTES, peak_columns
from registry.analytes import ANALYTES, series_unit

SEVERE_CRS_FROM = 2
CRS_GROUPS = (f"0-{SEVERE_CRS_FROM - 1}", f"{SEVERE_CRS_FROM}-4")


def biomarkers_report(frame: pd.DataFrame) -> dict:
    """Per analyte, the peak's n, median and range, overall and by CRS grade group, and
    the rank-sum p between the groups."""
    grade = frame["crs_grade"].to_numpy(dtype=float, na_value=np.nan)
    groups = {CRS_GROUPS[0]: grade < SEVERE_CRS_FROM, CRS_GROUPS[1]: grade >= SEVERE_CRS_FROM}
    return {
        "n": len(frame),
        "crs_groups": {name: int(rows.sum()) for name, rows in groups.items()},
        "peaks": [_analyte(frame, analyte, groups) for analyte in PEAK_ANALYTES],
    }


def _analyte(frame: pd.DataFrame, analyte: str, groups: dict[str, np.ndarray]) -> dict:
    peak_column, peak_day_column = peak_columns(analyte)[:2]
    peaks = frame[peak_column].to_numpy(dtype=float, na_value=np.nan)
    measured = ~np.isnan(peaks)
    by_group = {name: peaks[rows & measured] for name, rows in groups.items()}
    first, second = by_group.values()
    entry = ANALYTES[analyte]
    return {
        "analyte": analyte,
        "name": entry.name,
        "unit": series_unit(analyte, entry.own_unit),
        "column": peak_column,
        "overall": _summary(peaks[measured]),
        "peak_day": _summary(frame[peak_day_column].to_numpy(dtype=float, na_value=np.nan)),
        "by_crs_grade": [
            {"crs_grade": name, **_summary(values)} for name, values in by_group.items()
        ],
        "rank_sum_p": stats.rank_sum_p(first, second),
    }


def _summary(values: np.ndarray) -> dict:
    found = stats.summary(values)
    return {name: found[name] for name in ("n", "median", "min", "max")}
