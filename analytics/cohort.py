"""The analysis dataset as a data frame: filters, populations, covariates and endpoints.

Plain pandas over the rows of ``analytics.dataset``; nothing here touches the ORM.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analytics.dataset import COLUMNS
from analytics.dataset.columns import BOOLEAN, DATE, INTEGER, NUMBER
from analytics.stats import NRM, RELAPSE
from registry.patient_filters import ALIVE, BY_NAME, DEAD, PatientFilter
from registry.units import MONTH_DAYS

# Covariates a report can be split by. Categorical ones group by value; numeric ones need a
# cut point; ordinal ones take either.
CATEGORICAL = (
    "site",
    "sex",
    "age_group",
    "prior_allo_hct",
    "prior_cd22_cart",
    "mcd19_primary_resistant",
    "disease_status",
    "cns_involvement",
    "bcr_abl1",
    "ph_like",
    "tp53_mutation",
    "d30_response",
    "responder",
    "mrd",
    "hct_after_infusion",
    "consolidative_hct",
    "car_t_detected",
    "relapse",
    "relapse_cd19",
    "grade_discrepancy",
)
ORDINAL = (
    "mcd19_infusions",
    "emd_sites",
    "crs_grade",
    "icans_grade",
    "crs_grade_computed",
    "icans_grade_computed",
)
NUMERIC = (
    "age_years",
    "mcd19_interval_months",
    "dose_cells_per_kg",
    "car_t_cmax_cells_per_ul",
    "car_t_tmax_day",
    "car_t_auc_0_28",
    "car_t_last_detected_day",
)
COVARIATES = CATEGORICAL + ORDINAL + NUMERIC
# Covariates that change after the infusion, and the column holding when they did: at a
# landmark they take their value as of that time.
TIME_DEPENDENT = {
    "hct_after_infusion": "hct_months",
    "consolidative_hct": "hct_months",
    "relapse": "relapse_months",
    "relapse_cd19": "relapse_months",
}

ALL, RESPONDERS = "all", "responders"


def analysis_frame(rows: Sequence[dict]) -> pd.DataFrame:
    """The rows with typed columns: nullable integers and booleans, floats, dates as
    datetimes, the rest (text) as objects. Each column's type is the same whatever the
    rows hold, so frames of different rows can be put together (analytics.frames)."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(COLUMNS))
    for column, kind in COLUMNS.items():
        if kind == INTEGER:
            frame[column] = frame[column].astype("Int64")
        elif kind == BOOLEAN:
            frame[column] = frame[column].astype("boolean")
        elif kind == NUMBER:
            frame[column] = frame[column].astype("float64")
        elif kind == DATE:
            frame[column] = pd.to_datetime(frame[column])
        else:
            values = frame[column].astype(object)
            frame[column] = values if column == "study_id" else _shared_values(values)
    return frame


def patients_frame(rows: Mapping[int, Sequence]) -> pd.DataFrame:
    """analysis_frame of the rows given by patient id, indexed by it."""
    frame = analysis_frame(list(rows.values()))
    frame.index = pd.Index(list(rows), dtype="int64", name="patient")
    return frame


def _shared_values(values: pd.Series) -> np.ndarray:
    """The values of a column of a few choices (a sex, a response, a site's code), each
    held once: rows decoded one by one hold a hundred thousand copies of the same few
    words, scattered in memory, and counting them (value_counts, the tables' rows) then
    costs several times more. The study id, which differs in every row, is kept as read."""
    held: dict = {}
    return np.array([held.setdefault(value, value) for value in values], dtype=object)


def analysed(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows analysed, and the warnings of the patients left out (the dataset's
    `left_out`: a date no patient can have)."""
    left_out = frame["left_out"].notna().to_numpy()
    if not left_out.any():
        return frame, []
    return frame[~left_out], frame["left_out"][left_out].tolist()


def is_true(column: pd.Series) -> np.ndarray:
    """True where the value is True; missing counts as not True."""
    return column.fillna(False).to_numpy(dtype=bool)


def crs_onset_days(frame: pd.DataFrame) -> pd.Series:
    """Each patient's CRS onset as analysed: the site's recorded onset, else the first daily
    assessment graded 1 or more (as the grades: recorded where present, else computed)."""
    return frame["crs_onset_day"].combine_first(frame["crs_onset_day_computed"])


def vital_status(frame: pd.DataFrame) -> pd.Series:
    """ALIVE or DEAD as the dataset knows it (at a cut-off, as known then): a death from
    the infusion on. A patient never infused has none: the analyses follow patients from
    the infusion, and one who died before any (nothing may follow a death) was never
    infused. The registry's patient list selects on the death recorded, whenever it was."""
    status = np.where(is_true(frame["death"]), DEAD, ALIVE)
    return pd.Series(status, index=frame.index, dtype=object).where(
        frame["infusion_date"].notna(), None
    )


# Columns of the patient filters (registry.patient_filters) that the frame derives.
DERIVED = {"vital_status": vital_status}


def filter_passing(frame: pd.DataFrame, patient_filter: PatientFilter, value) -> np.ndarray:
    """Which rows pass the filter at its cleaned value, as its column and comparison say."""
    derive = DERIVED.get(patient_filter.column)
    column = derive(frame) if derive else frame[patient_filter.column]
    if patient_filter.missing is not None:
        column = column.fillna(patient_filter.missing)
    if isinstance(value, date):
        value = pd.Timestamp(value)
    return is_true(getattr(column, patient_filter.compare)(value))


def passing(frame: pd.DataFrame, filters: Mapping[str, object], terms: Sequence[str]) -> np.ndarray:
    """Which rows pass the patient filters (cleaned values by name) and have every search
    term in their study id, as the patient list's ?search= finds them."""
    chosen = np.ones(len(frame), dtype=bool)
    for name, value in filters.items():
        chosen &= filter_passing(frame, BY_NAME[name], value)
    study_ids = frame["study_id"].str.casefold() if terms else None
    for term in terms:
        chosen &= study_ids.str.contains(term.casefold(), regex=False).to_numpy(dtype=bool)
    return chosen


def in_population(frame: pd.DataFrame, population: str) -> pd.DataFrame:
    """All the patients, or the day-30 responders (CR or CRi) only."""
    return frame[is_true(frame["responder"])] if population == RESPONDERS else frame


def groups(frame: pd.DataFrame, by: str, cut: float | None = None) -> pd.Series:
    """Each row's group for covariate `by` (split at `cut` when given); None when missing."""
    values = frame[by]
    if cut is not None:
        numbers = values.astype("Float64")
        labels = np.where(numbers.lt(cut).fillna(False), f"<{cut:g}", f">={cut:g}")
        return pd.Series(labels, index=frame.index, dtype=object).where(numbers.notna(), None)
    return values.astype(object).where(values.notna(), None)


def group_order(labels: pd.Series) -> list:
    """The distinct groups, True before False, else in sorted order ("<cut" before ">=cut")."""
    present = [value for value in labels.unique() if value is not None]
    if all(isinstance(value, bool | np.bool_) for value in present):
        return sorted(present, reverse=True)
    return sorted(present, key=lambda value: (str(value).startswith(">="), value))


DEATH = 1
RECOVERY = 1  # of B cells
BCA = "bca"


@dataclass(frozen=True)
class TimeToEvent:
    frame: pd.DataFrame  # the patients analysed, their covariates asked as of the time origin
    months: np.ndarray
    outcome: np.ndarray  # 0 censored; EFS/RFS: RELAPSE (disease failure) or NRM; OS: DEATH

    @property
    def events(self) -> np.ndarray:
        return self.outcome != 0


def time_to_event(
    frame: pd.DataFrame,
    endpoint: str,
    population: str,
    landmark: float | None = None,
    covariates: Sequence[str] = (),
) -> TimeToEvent:
    """Times and outcomes for EFS/RFS ("efs", "rfs"), overall survival ("os") or time to
    B-cell recovery ("bca"), and the covariates asked of the patients analysed.

    EFS and RFS: relapse or death from the infusion; a relapse, or a death from the disease
    without one, is a disease failure (RELAPSE), any other death NRM. When all patients are
    analysed, non-response at day 30 is a disease failure at day 0. OS: death. BCA: the
    patients with B-cell aplasia, from its start to recovery (an event) or to its censoring
    at the last value or an allo-HCT (bca_duration_days, registry.biomarkers).
    With a landmark, only patients still event-free and followed at it are kept, their time
    counts from it, and time-dependent covariates take their value as of it.
    """
    if endpoint == "os":
        months = frame["os_months"].to_numpy(dtype=float, na_value=np.nan)
        outcome = np.where(is_true(frame["os_event"]), DEATH, 0)
    elif endpoint == BCA:
        months = frame["bca_duration_days"].to_numpy(dtype=float, na_value=np.nan) / MONTH_DAYS
        outcome = np.where(is_true(frame["bca_recovery_event"]), RECOVERY, 0)
    else:
        months = frame["efs_months"].to_numpy(dtype=float, na_value=np.nan)
        outcome = np.where(is_true(frame["nrm"]), NRM, RELAPSE)
        outcome = np.where(is_true(frame["efs_event"]), outcome, 0)
        if population == ALL:
            refractory = frame["responder"].eq(False).fillna(False).to_numpy(dtype=bool)
            months = np.where(refractory, 0.0, months)
            outcome = np.where(refractory, RELAPSE, outcome)
    # Only the covariates asked are taken on: selecting rows copies every column.
    frame = frame[list(dict.fromkeys([*covariates, *TIME_DEPENDENT.values()]))]
    known = ~np.isnan(months)
    frame, months, outcome = frame[known], months[known], outcome[known]
    if landmark is None:
        return TimeToEvent(frame, months, outcome)
    at_risk = (months > landmark) | ((months == landmark) & (outcome == 0))
    return TimeToEvent(
        _as_of(frame[at_risk], landmark), months[at_risk] - landmark, outcome[at_risk]
    )


def _as_of(frame: pd.DataFrame, landmark: float) -> pd.DataFrame:
    frame = frame.copy()
    for covariate, when in TIME_DEPENDENT.items():
        if covariate not in frame:
            continue
        later = ~(frame[when] <= landmark).fillna(False).to_numpy(dtype=bool)
        frame.loc[later, covariate] = False if frame[covariate].dtype == "boolean" else None
    return frame
