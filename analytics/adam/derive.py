"""The ADaM datasets from the analysis frame (analytics.cohort.analysis_frame, at the
clinical cut-off: analytics.results.cut_frame), never from the records again: ADTTE's
times and events are analytics.cohort.time_to_event's, those every survival and
cumulative-incidence statistic is computed from.

Each dataset is a data frame with the columns of its variables (analytics.adam.variables),
in order: text as str or None, numbers as floats (NaN missing), dates as datetime.date or
None.
"""

from datetime import date

import numpy as np
import pandas as pd

from analytics.adam.variables import (
    ADAE,
    ADSL,
    ADTTE,
    AGE_GROUPS,
    AT_CUTOFF,
    COMPETING,
    CRS,
    EVENT,
    FLOAT,
    INTEGER,
    LAST_CONTACT,
    PARAMETERS,
    SEX_CODES,
    TOXICITIES,
    Dataset,
)
from analytics.cohort import (
    ALL,
    RESPONDERS,
    crs_onset_days,
    in_population,
    is_true,
    time_to_event,
)
from analytics.stats import NRM, RELAPSE
from registry.choices import Product
from registry.units import MONTH_DAYS

PRODUCT_NAMES = {code: label.upper() for code, label in Product.choices}
# The columns of the frame ADTTE reads besides the times and outcomes.
TTE_COLUMNS = [
    "study_id",
    "site",
    "product",
    "infusion_date",
    "responder",
    "relapse",
    "relapse_months",
    "d30_response_day",
]


def subject_ids(frame: pd.DataFrame, study_code: str) -> dict:
    study_ids = frame["study_id"].astype(str)
    return {
        "STUDYID": study_code,
        "USUBJID": (study_code + "-" + study_ids).to_numpy(dtype=object),
        "SITEID": frame["site"].to_numpy(dtype=object),
    }


def adsl(frame: pd.DataFrame, study_code: str) -> pd.DataFrame:
    infused = frame["infusion_date"]
    age = frame["age_years"].to_numpy(dtype=float, na_value=np.nan)
    died = is_true(frame["death"])
    columns = {
        **subject_ids(frame, study_code),
        "SUBJID": frame["study_id"].to_numpy(dtype=object),
        "AGE": age,
        "AGEU": np.where(np.isnan(age), None, "YEARS"),
        "AGEGR1": [AGE_GROUPS.get(group) for group in frame["age_group"]],
        "SEX": [SEX_CODES.get(sex) for sex in frame["sex"]],
        "TRT01A": _products(frame),
        "TRTSDT": _dates(infused, np.zeros(len(frame))),
        "DOSEKG": frame["dose_cells_per_kg"].to_numpy(dtype=float, na_value=np.nan),
        "SAFFL": np.where(infused.notna(), "Y", "N"),
        "ITTFL": "Y",
        "PRALLOFL": _flags(frame["prior_allo_hct"]),
        "PRCD22FL": _flags(frame["prior_cd22_cart"]),
        "PRMCD19N": frame["mcd19_infusions"].to_numpy(dtype=float, na_value=np.nan),
        "MCD19RFL": _flags(frame["mcd19_primary_resistant"]),
        "DTHFL": np.where(died, "Y", np.where(infused.notna(), "N", None)),
        "DTHDT": _dates(infused, _days(frame["death_months"])),
        "DTHCAUS": _upper(frame["death_cause"].where(died, None)),
        "LSTALVDT": _dates(infused, _days(frame["followup_months"])),
        "D30RESP": _upper(frame["d30_response"]),
        "D30MRD": _upper(frame["mrd"]),
        "RESPFL": _flags(frame["responder"]),
        "CRSGR": _numbers(frame["crs_grade"]),
        "CRSGRREC": _numbers(frame["crs_grade_recorded"]),
        "CRSGRCMP": _numbers(frame["crs_grade_computed"]),
        "ICANSGR": _numbers(frame["icans_grade"]),
        "ICANGREC": _numbers(frame["icans_grade_recorded"]),
        "ICANGCMP": _numbers(frame["icans_grade_computed"]),
    }
    return _ordered(ADSL, columns, len(frame))


def adtte(frame: pd.DataFrame, study_code: str, cutoff: date | None) -> pd.DataFrame:
    """One record per patient per parameter, in the populations of the registry's
    endpoints: OS and EFS all patients (EFS with non-response at day 30 an event at day 0),
    RFS, CIR, NRM and DOR the day-30 responders."""
    parts = [_parameter(frame, code, study_code, cutoff) for code, _ in PARAMETERS]
    found = pd.concat(parts, ignore_index=True)
    return found.sort_values(["USUBJID", "PARAMCD"], kind="stable", ignore_index=True)


def _parameter(
    frame: pd.DataFrame, code: str, study_code: str, cutoff: date | None
) -> pd.DataFrame:
    endpoint, population = {"OS": ("os", ALL), "EFS": ("efs", ALL)}.get(code, ("rfs", RESPONDERS))
    analysed = in_population(frame, population)
    data = time_to_event(analysed, endpoint, population, covariates=TTE_COLUMNS)
    chosen, outcome = data.frame, data.outcome
    days = np.round(data.months * MONTH_DAYS)
    start = np.zeros(len(chosen))
    if code == "DOR":
        start = chosen["d30_response_day"].to_numpy(dtype=float, na_value=np.nan)
        days = days - start
    event, competing = _event_kinds(code, outcome)
    end = _dates(chosen["infusion_date"], start + days)
    censoring = np.where(
        event,
        EVENT,
        np.where(competing, COMPETING, np.where(_on(end, cutoff), AT_CUTOFF, LAST_CONTACT)),
    )
    descriptions = _descriptions(code, chosen, data.months, outcome, population)
    columns = {
        **subject_ids(chosen, study_code),
        "TRT01A": _products(chosen),
        "PARAMCD": code,
        "PARAM": dict(PARAMETERS)[code],
        "STARTDT": _dates(chosen["infusion_date"], start),
        "ADT": end,
        "AVAL": days,
        "AVALU": "DAYS",
        "CNSR": censoring.astype(float),
        "EVNTDESC": np.where(event | competing, descriptions, None),
        "CNSDTDSC": np.select(
            [censoring == LAST_CONTACT, censoring == AT_CUTOFF, censoring == COMPETING],
            ["LAST CONTACT", "CLINICAL CUT-OFF", descriptions],
            None,
        ),
        "EVNTTYPN": np.where(event, 1.0, np.where(competing, 2.0, 0.0)),
    }
    return _ordered(ADTTE, columns, len(chosen))


def _event_kinds(code: str, outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which records are the parameter's event, and which its competing event (CIR and NRM
    are each other's)."""
    if code == "CIR":
        return outcome == RELAPSE, outcome == NRM
    if code == "NRM":
        return outcome == NRM, outcome == RELAPSE
    return outcome != 0, np.zeros(len(outcome), dtype=bool)


def _descriptions(
    code: str, chosen: pd.DataFrame, months: np.ndarray, outcome: np.ndarray, population: str
) -> np.ndarray:
    """What ended each record's time, had it an event: time_to_event's outcome in words."""
    if code == "OS":
        return np.full(len(chosen), "DEATH", dtype=object)
    relapsed = is_true(chosen["relapse"]) & (
        chosen["relapse_months"].to_numpy(dtype=float, na_value=np.nan) <= months
    )
    refractory = np.zeros(len(chosen), dtype=bool)
    if population == ALL:
        refractory = chosen["responder"].eq(False).fillna(False).to_numpy(dtype=bool)
    return np.select(
        [refractory, outcome == NRM, relapsed],
        ["NO RESPONSE AT DAY 30", "DEATH WITHOUT RELAPSE (NRM)", "RELAPSE"],
        "DEATH FROM THE DISEASE",
    ).astype(object)


def adae(frame: pd.DataFrame, study_code: str) -> pd.DataFrame:
    """A record for each toxicity a patient had (maximum grade 1 or more as analysed)."""
    parts = [_toxicity(frame, term, study_code) for term, _ in TOXICITIES]
    found = pd.concat(parts, ignore_index=True)
    return found.sort_values(["USUBJID", "AETERM"], kind="stable", ignore_index=True)


def _toxicity(frame: pd.DataFrame, term: str, study_code: str) -> pd.DataFrame:
    prefix = term.lower()
    graded = frame[_numbers(frame[f"{prefix}_grade"]) >= 1]
    recorded = _numbers(graded[f"{prefix}_grade_recorded"])
    # CRS: the onset the site recorded, else the first daily assessment graded 1 or more;
    # ICANS, whose onset the site does not record: that first daily assessment.
    onset = _numbers(crs_onset_days(graded) if term == CRS else graded["icans_onset_day"])
    columns = {
        **subject_ids(graded, study_code),
        "TRT01A": _products(graded),
        "TRTSDT": _dates(graded["infusion_date"], np.zeros(len(graded))),
        "AETERM": term,
        "AEDECOD": dict(TOXICITIES)[term],
        "ASTDT": _dates(graded["infusion_date"], onset),
        "ASTDY": onset + 1,
        "ATOXGRN": _numbers(graded[f"{prefix}_grade"]),
        "AGRRECN": recorded,
        "AGRCMPN": _numbers(graded[f"{prefix}_grade_computed"]),
        "AGRSRC": np.where(np.isnan(recorded), "COMPUTED", "RECORDED"),
        "TOCIFL": _flags(graded["tocilizumab"]),
        "CORTFL": _flags(graded["corticosteroids"]),
        "PLEXFL": _flags(graded["plasmapheresis"]),
    }
    return _ordered(ADAE, columns, len(graded))


BUILDERS = {"ADSL": adsl, "ADAE": adae}


def adam_dataset(
    name: str, frame: pd.DataFrame, study_code: str, cutoff: date | None
) -> pd.DataFrame:
    """The named dataset (ADSL, ADTTE or ADAE) of the frame's patients."""
    if name == ADTTE.name:
        return adtte(frame, study_code, cutoff)
    return BUILDERS[name](frame, study_code)


def _ordered(dataset: Dataset, columns: dict, length: int) -> pd.DataFrame:
    found = pd.DataFrame(
        {name: _filled(columns[name], length) for name in dataset.names}, index=range(length)
    )
    for variable in dataset.variables:
        if variable.kind in (INTEGER, FLOAT):
            found[variable.name] = found[variable.name].astype(float)
    return found


def _filled(value, length: int):
    # A single text (the study code, a parameter's code) stands for the whole column.
    return [value] * length if isinstance(value, str) else value


def _days(months: pd.Series) -> np.ndarray:
    """Months (days / MONTH_DAYS, as the dataset holds times) as the whole days they are."""
    return np.round(months.to_numpy(dtype=float, na_value=np.nan) * MONTH_DAYS)


def _dates(start: pd.Series, days: np.ndarray) -> list[date | None]:
    """Each start date plus its days; None where either is missing."""
    days = np.asarray(days, dtype=float)
    offsets = np.nan_to_num(days).astype("int64").astype("timedelta64[D]")
    offsets[np.isnan(days)] = np.timedelta64("NaT")
    # datetime64[D] values become datetime.date, and NaT None.
    return (start.to_numpy(dtype="datetime64[D]") + offsets).astype(object).tolist()


def _on(days: list[date | None], cutoff: date | None) -> np.ndarray:
    return np.array([cutoff is not None and day == cutoff for day in days], dtype=bool)


def _flags(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(value) else "Y" if value else "N" for value in values]


def _numbers(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=float, na_value=np.nan)


def _upper(values: pd.Series) -> list[str | None]:
    return [None if value is None or pd.isna(value) else str(value).upper() for value in values]


def _products(frame: pd.DataFrame) -> list[str | None]:
    return [PRODUCT_NAMES.get(product) for product in frame["product"]]
