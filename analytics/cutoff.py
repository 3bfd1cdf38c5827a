"""A clinical cut-off applied to the analysis frame (analytics.cohort.analysis_frame).

The kept rows (analytics.dataset) hold each patient's whole recorded course; a publication
analyses it as it was known at its cut-off date instead. Applied to the frame, column by
column, so that the rows stay shared by every cut-off:

- a patient first infused after the cut-off is left out (and counted);
- an event (relapse, death, allo-HCT) after it did not happen;
- follow-up, and the time of a patient alive and event-free, end at the earlier of the
  recorded end (last contact or death) and the cut-off: an event after the cut-off also
  shows the patient was followed up to it;
- a day-30 response assessed after it is unknown.

Unlike `as_of` (registry.snapshots), which reads the registry as it had been entered by a
day, a cut-off keeps every record entered later about the days before it.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analytics.stats import MONTH_DAYS

# Each event's "did it happen" column, with the column saying when, and what else
# describes it.
EVENTS = {
    "relapse": ("relapse_months", ("relapse_cd19",)),
    "death": ("death_months", ("death_cause",)),
    "hct_after_infusion": ("hct_months", ()),
}
ENDS = ("efs_months", "os_months", "followup_months")
DAY_30 = ("d30_response", "responder", "mrd")


@dataclass(frozen=True)
class CutFrame:
    frame: pd.DataFrame
    left_out: int  # patients first infused after the cut-off
    # Why patients were left out before the cut-off was applied (analytics.cohort.analysed).
    warnings: list[str] = field(default_factory=list)


def at_cutoff(frame: pd.DataFrame, cutoff: date | None) -> CutFrame:
    """The frame as known at the end of `cutoff`; the frame itself when nothing changes
    (None: no cut-off). Never changes `frame`, which may be shared."""
    if cutoff is None:
        return CutFrame(frame, 0)
    days = (pd.Timestamp(cutoff) - frame["infusion_date"]).dt.days.to_numpy(
        dtype=float, na_value=np.nan
    )
    later = days < 0
    limit = days / MONTH_DAYS
    beyond = _numbers(frame, "followup_months") > limit
    assessed_later = _numbers(frame, "d30_response_day") > days
    if not (later.any() or beyond.any() or assessed_later.any()):
        return CutFrame(frame, 0)
    cut = frame.copy(deep=False)
    for column, values in _cut_columns(frame, limit, assessed_later).items():
        cut[column] = values
    return CutFrame(cut[~later] if later.any() else cut, int(later.sum()))


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


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float, na_value=np.nan)
