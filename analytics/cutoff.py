"""A clinical cut-off applied to the analysis frame (analytics.cohort.analysis_frame).

The stored rows (analytics.dataset) hold each patient's whole recorded course; a publication
analyses it as it was known at its cut-off date instead. Applied to the frame, column by
column, so that the rows stay shared by every cut-off:

- a patient first infused after the cut-off is left out (and counted);
- an event (relapse, death, allo-HCT) after it did not happen;
- follow-up, and the time of a patient alive and event-free, end at the earlier of the
  recorded end (last contact or death) and the cut-off: an event after the cut-off also
  shows the patient was followed up to it;
- a day-30 response assessed after it is unknown;
- the grades computed from the daily assessments, the CAR-T kinetics and the lab columns
  (ICAHT, B-cell aplasia, cytokine peaks) count only the assessments, counts and lab
  values of days up to it, and the lab columns only the events up to it that censor them.

The grades, kinetics and lab columns are the only columns a cut-off cannot derive from the
row: they summarise a series of days. The row says the last day each group of them reads
(daily_assessment_last_day, car_t_count_last_day; icaht_early_last_day,
icaht_late_last_day, bca_last_day, peak_last_day, each within its rule's windows), so
only the few patients with records after the cut-off that a group reads need it computed
again, from their records up to it (analytics.dataset.parts_up_to; `recounts` names them
and their groups), and only the groups a report reads; lab_last_day, the latest of the lab
groups' last days, follows them. The caller reads those and caches them per data version
(analytics.results.cut_frame): the frame itself keeps no series of days, which would
multiply its size for what a cut-off rarely needs. A patient whose columns were not
computed again has them unknown (None), as a frame built without them
(analytics.dataset.PARTS) has.

Unlike `as_of` (registry.snapshots), which reads the registry as it had been entered by a
day, a cut-off keeps every record entered later about the days before it.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analytics.dataset import (
    B_CELL_APLASIA,
    EARLY_ICAHT,
    GRADES,
    KINETICS,
    LAB_LAST_DAYS,
    LABS,
    LATE_ICAHT,
    PART_COLUMNS,
    PEAKS,
)
from registry.units import MONTH_DAYS

# Each event's "did it happen" column, with the column saying when, and what else
# describes it.
EVENTS = {
    "relapse": ("relapse_months", ("relapse_cd19",)),
    "death": ("death_months", ("death_cause",)),
    "hct_after_infusion": ("hct_months", ()),
}
ENDS = ("efs_months", "os_months", "followup_months")
DAY_30 = ("d30_response", "responder", "mrd")
# Each column group computed from a series of days, and the column with the series' last day.
LAST_DAYS = {
    GRADES: "daily_assessment_last_day",
    KINETICS: "car_t_count_last_day",
    EARLY_ICAHT: "icaht_early_last_day",
    LATE_ICAHT: "icaht_late_last_day",
    B_CELL_APLASIA: "bca_last_day",
    PEAKS: "peak_last_day",
}


@dataclass(frozen=True)
class CutFrame:
    frame: pd.DataFrame
    left_out: int  # patients first infused after the cut-off
    # Why patients were left out before the cut-off was applied (analytics.cohort.analysed).
    warnings: list[str] = field(default_factory=list)


def recounts(
    frame: pd.DataFrame, cutoff: date | None, parts: Collection[str]
) -> dict[str, tuple[int, tuple[str, ...]]]:
    """The patients, by study id, whose columns of `parts` (analytics.dataset.PARTS) read
    records of days after the cut-off, each with the last day after its infusion that the
    cut-off keeps and those of `parts` it changes: what at_cutoff needs computed again."""
    if cutoff is None:
        return {}
    days = _days_to(frame, cutoff)
    # Those infused after the cut-off are left out, not counted again.
    kept = days >= 0
    later = {part: (_numbers(frame, LAST_DAYS[part]) > days) & kept for part in sorted(parts)}
    recounted = np.zeros(len(frame), dtype=bool)
    for rows in later.values():
        recounted |= rows
    study_ids = frame["study_id"].to_numpy()
    return {
        study_ids[row]: (int(days[row]), tuple(part for part, rows in later.items() if rows[row]))
        for row in np.flatnonzero(recounted).tolist()
    }


def at_cutoff(
    frame: pd.DataFrame, cutoff: date | None, recounted: Mapping[str, dict] | None = None
) -> CutFrame:
    """The frame as known at the end of `cutoff`; the frame itself when nothing changes
    (None: no cut-off). `recounted`: the columns of the patients `recounts` names, by
    study id, computed up to the cut-off. Never changes `frame`, which may be shared."""
    if cutoff is None:
        return CutFrame(frame, 0)
    days = _days_to(frame, cutoff)
    later = days < 0
    limit = days / MONTH_DAYS
    beyond = _numbers(frame, "followup_months") > limit
    assessed_later = _numbers(frame, "d30_response_day") > days
    # Those infused after the cut-off are left out: none of their columns is counted again.
    counted_later = {
        part: (_numbers(frame, column) > days) & ~later for part, column in LAST_DAYS.items()
    }
    changed = [later, beyond, assessed_later, *counted_later.values()]
    if not any(rows.any() for rows in changed):
        return CutFrame(frame, 0)
    cut = frame.copy(deep=False)
    for column, values in _cut_columns(frame, limit, assessed_later).items():
        cut[column] = values
    study_ids = frame["study_id"].to_numpy()
    for part, rows in counted_later.items():
        if rows.any():
            # Looked up once a part, not once a column and row; none without recounts.
            found = (
                [recounted.get(study_id, {}) for study_id in study_ids[rows]] if recounted else []
            )
            given = set().union(*found)
            for column in PART_COLUMNS[part]:
                cut[column] = _recounted(frame[column], rows, found if column in given else None)
    if any(counted_later[part].any() for part in LABS):
        cut["lab_last_day"] = _latest(cut, LAB_LAST_DAYS).astype(frame["lab_last_day"].dtype)
    return CutFrame(cut[~later] if later.any() else cut, int(later.sum()))


def _days_to(frame: pd.DataFrame, cutoff: date) -> np.ndarray:
    """Days from each patient's first infusion to the cut-off (NaN without an infusion).

    In numpy's datetimes, not pandas' timedelta accessor, which costs several times more
    for every request at a cut-off: infusion dates are whole days, so the quotient is
    whole, and a missing date (NaT) gives NaN."""
    infused = frame["infusion_date"].to_numpy(dtype="datetime64[ns]")
    return (np.datetime64(cutoff, "ns") - infused) / np.timedelta64(1, "D")


def _cut_columns(frame: pd.DataFrame, limit: np.ndarray, assessed_later: np.ndarray) -> dict:
    columns = {}
    dropped = {}
    for happened, (when, details) in EVENTS.items():
        after = _numbers(frame, when) > limit
        dropped[happened] = after
        columns[happened] = frame[happened].mask(after, False)
        columns[when] = frame[when].mask(after)
        for detail in details:
            columns[detail] = frame[detail].mask(after, None)
    efs_after = _numbers(frame, "efs_months") > limit
    columns["efs_event"] = frame["efs_event"].mask(efs_after, False)
    columns["os_event"] = frame["os_event"].mask(dropped["death"], False)
    columns["nrm"] = frame["nrm"].mask(dropped["death"], False)
    for end in ENDS:
        columns[end] = pd.Series(np.fmin(_numbers(frame, end), limit), index=frame.index)
        # fmin takes the limit where the end is unknown; without an end, none is known.
        columns[end] = columns[end].where(frame[end].notna())
    for column in DAY_30:
        columns[column] = frame[column].mask(assessed_later, None)
    # Consolidation is a transplant in response: neither may be after the cut-off.
    columns["consolidative_hct"] = frame["consolidative_hct"].mask(
        dropped["hct_after_infusion"] | assessed_later, False
    )
    return columns


def _recounted(column: pd.Series, rows: np.ndarray, found: list[dict] | None) -> pd.Series:
    """The column with the values `found` gives, the recounted columns of each of `rows` in
    order, in place of theirs; None where it gives none, and in every one of `rows` when
    `found` is None (a part the report does not read: none of its rows has it)."""
    values = column.array.copy()
    if found is None:
        values[rows] = None
    else:
        recounted = [columns.get(column.name) for columns in found]
        values[rows] = pd.array(recounted, dtype=values.dtype)
    return pd.Series(values, index=column.index)


def _latest(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The latest of the columns' days in each row, NaN where none is known."""
    latest = np.fmax.reduce([_numbers(frame, column) for column in columns])
    return pd.Series(latest, index=frame.index)


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float, na_value=np.nan)
