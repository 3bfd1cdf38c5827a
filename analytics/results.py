"""What each analytics endpoint returns for a study and its validated parameters, cached."""

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from analytics import cytokines, frames, reports, tables
from analytics.caching import StudyCache, study_cache
from analytics.cohort import (
    BCA,
    analysed,
    in_population,
    passing,
    patients_frame,
)
from analytics.cutoff import CutFrame, at_cutoff, recounts
from analytics.dataset import (
    B_CELL_APLASIA,
    GRADES,
    ICAHT,
    KINETICS,
    LABS,
    PART_COLUMNS,
    PARTS,
    PEAKS,
    analysis_values,
    car_t_counts,
    lab_values,
    parts_up_to,
    study_patients,
    tables_read,
)
from analytics.dataset_answer import dataset_csv, dataset_json
from analytics.exports import Packed, packed
from analytics.lab_series import lab_series_report
from analytics.params import AnalysisRequest
from analytics.process_labs import study_lab_values
from registry.data_version import digest
from registry.jsontext import json_bytes
from registry.models import Study
from registry.patient_filters import BY_NAME, filter_patients

# Endpoint name -> its computation over the patients analysed, given its parameters.
REPORTS: dict[str, Callable[[pd.DataFrame, dict], dict]] = {
    "response": lambda frame, p: reports.response_report(frame, by=p.get("by"), cut=p.get("cut")),
    "survival": lambda frame, p: reports.survival_report(
        frame,
        endpoint=p["endpoint"],
        population=p["population"],
        by=p.get("by"),
        cut=p.get("cut"),
        times=p["times"],
        landmark=p.get("landmark"),
    ),
    "follow-up": lambda frame, p: reports.follow_up_report(frame),
    "cumulative-incidence": lambda frame, p: reports.incidence_report(
        frame, population=p["population"], times=p["times"]
    ),
    "toxicity": lambda frame, p: reports.toxicity_report(frame),
    "kinetics": lambda frame, p: reports.kinetics_report(frame),
    "biomarkers": lambda frame, p: cytokines.biomarkers_report(frame),
    "characteristics": lambda frame, p: tables.characteristics_table(frame),
    "outcomes": lambda frame, p: tables.outcomes_table(frame),
}


# The dataset's costlier column groups (analytics.dataset.PARTS) each report reads, beyond
# those of the covariate it is split by.
PARTS_READ = {
    "toxicity": (GRADES, *ICAHT),
    "kinetics": (KINETICS,),
    "outcomes": (GRADES,),
    "biomarkers": (GRADES, PEAKS),
}


def report_parts(name: str, params: dict) -> set[str]:
    """The dataset's costlier column groups (PARTS) the named report reads with these
    parameters: those it always reads, and those of the covariate it is split by."""
    parts = {*PARTS_READ.get(name, ())}
    if name == "survival" and params.get("endpoint") == BCA:
        parts.add(B_CELL_APLASIA)
    return parts | {part for part, columns in PART_COLUMNS.items() if params.get("by") in columns}


def sections_read(request: AnalysisRequest, parts: Collection[str]) -> set:
    """The tables of the sections a result over the rows with `parts` of the patients the
    request selects is computed from: those of the rows (analytics.dataset.tables_read)
    and those its patient filters read (registry.patient_filters). A write to another
    section leaves the result cached (analytics.caching)."""
    filtered = {model for name in request.patient_filters for model in BY_NAME[name].reads}
    return tables_read(parts) | filtered


def study_result(
    study: Study, name: str, request: AnalysisRequest, store: StudyCache | None = None
) -> dict:
    """The named report over the study's patients that the request selects."""
    params = _without_format(request.params)
    parts = report_parts(name, params)
    store = store or study_cache(study)

    def compute() -> dict:
        cut = cut_frame(study, store, request, parts)
        frame = in_population(cut.frame, params["population"])
        return REPORTS[name](frame, params) | _dates(request, cut)

    key = {**params, "filters": request.filters}
    return store.get(name, key, compute, sections_read(request, parts))


def study_result_json(study: Study, name: str, request: AnalysisRequest) -> Packed:
    """study_result written as JSON. Cached written (and compressed when large): a report
    listing ten thousand patients takes longer to write than to look up."""
    store = study_cache(study)
    params = _without_format(request.params)
    return store.get(
        f"{name}.json",
        {**params, "filters": request.filters},
        lambda: packed(json_bytes(study_result(study, name, request, store))),
        sections_read(request, report_parts(name, params)),
    )


def study_dataset(study: Study, request: AnalysisRequest) -> Packed:
    """The analysis dataset's rows of the selected patients, written as JSON
    {"count", "results", "cutoff", "as_of", ...} or as CSV. Cached written (and compressed
    when large): ten thousand rows take longer to write than to look up. Written again after
    a change only in the blocks of rows it changed (analytics.dataset_answer)."""
    params = request.params
    store = study_cache(study)
    key = {**params, "filters": request.filters}

    def compute() -> Packed:
        cut = cut_frame(study, store, request, PARTS)
        frame = in_population(cut.frame, params["population"])
        kept_as = f"{study.pk}:{digest(key)}"
        if params["format"] == "csv":
            return dataset_csv(kept_as, frame)
        return dataset_json(kept_as, frame, _dates(request, cut))

    return store.get("dataset", key, compute, sections_read(request, PARTS))


def selected_frame(
    study: Study, store: StudyCache, request: AnalysisRequest, parts: Collection[str] = PARTS
) -> pd.DataFrame:
    """The data frame of the patients passing the request's filters, at its clinical
    cut-off."""
    return cut_frame(study, store, request, parts).frame


def cut_frame(
    study: Study, store: StudyCache, request: AnalysisRequest, parts: Collection[str] = PARTS
) -> CutFrame:
    """The frame of selected_frame, with the count of patients its cut-off left out and the
    warnings of those left out for a date no patient can have (analytics.cohort.analysed).

    The grades, kinetics and lab columns (`parts`) of the few patients with records after
    the cut-off that those parts read are computed again from their records up to it, once
    per data version and set of such patients (analytics.cutoff). The filters on outcomes select on
    the values at the cut-off: a patient who died after it is alive then, a day-30 response
    assessed after it unknown."""
    frame, warnings = analysed(_recorded_frame(study, store, request, parts))
    counted_again = recounts(frame, request.cutoff, parts)
    recounted = {}
    if counted_again:
        key = {"as_of": request.as_of, "recounts": counted_again}
        recounted = store.get(
            "recounted",
            key,
            lambda: parts_up_to(
                study_patients(study, as_of=request.as_of), counted_again, request.as_of
            ),
            tables_read({part for _, its_parts in counted_again.values() for part in its_parts}),
        )
    cut = at_cutoff(frame, request.cutoff, recounted)
    at_cut = _rows(cut.frame, passing(cut.frame, request.outcome_filters, ()))
    return replace(cut, frame=at_cut, warnings=warnings)


def _recorded_frame(
    study: Study, store: StudyCache, request: AnalysisRequest, parts: Collection[str] = PARTS
) -> pd.DataFrame:
    """The data frame of the patients passing the request's filters on what a cut-off
    leaves as recorded (AnalysisRequest.recorded_filters), without a cut-off.

    On the data as it stands, selected from the study's frame kept in this process's
    memory (analytics.frames). As recorded on a past day (as_of), computed from the audit
    trail once per data version and cached: the endpoints asked with the same filters
    share it.
    """
    if request.as_of is None:
        return _selected(study, frames.study_frame(study, store.version), request)
    # The cut-off, and the filters on outcomes, are applied to the frame, not in it:
    # frames at any cut-off share it.
    left = {"cutoff", *request.outcome_filters}
    filters = {name: value for name, value in request.filters.items() if name not in left}
    return store.get(
        "frame",
        {**filters, "parts": sorted(parts)},
        lambda: patients_frame(
            analysis_values(
                _patients(study, request, request.recorded_filters), parts, request.as_of
            )
        ),
        sections_read(request, parts),
    )


def _selected(study: Study, held: frames.ProcessFrame, request: AnalysisRequest) -> pd.DataFrame:
    """The process frame's rows of the user's sites passing the request's filters on what a
    cut-off leaves as recorded: on the frame's columns, and on the casebook's state in the
    database (the frame is indexed by patient id)."""
    frame = held.frame
    if request.scope is not None:
        codes = [held.sites[pk] for pk in request.scope if pk in held.sites]
        frame = _rows(frame, frame["site"].isin(codes).to_numpy())
    chosen = passing(frame, request.dataset_filters, request.search_terms)
    if request.casebook_filters:
        patients = filter_patients(study.patients.all(), request.casebook_filters)
        chosen &= frame.index.isin(list(patients.values_list("pk", flat=True)))
    return _rows(frame, chosen)


def _rows(frame: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    # Picking rows copies the frame, a cost not worth paying when every row is picked, as
    # for a user who reads every site.
    return frame if chosen.all() else frame[chosen]


def study_car_t_counts(
    study: Study, store: StudyCache, request: AnalysisRequest
) -> dict[str, list[tuple[int, float]]]:
    """The CAR-T counts of the patients passing the request's filters, by study id; at
    the clinical cut-off, those counted by then of the patients it keeps."""

    def compute() -> dict[str, list[tuple[int, float]]]:
        if request.cutoff is None:
            return car_t_counts(_patients(study, request, request.patient_filters), request.as_of)
        # The filters on outcomes select at the cut-off: by the frame, cut there.
        counts = car_t_counts(_patients(study, request, request.recorded_filters), request.as_of)
        return _counted_by(counts, selected_frame(study, store, request, parts=()), request.cutoff)

    # The counts, and the frame of the patients counted.
    return store.get("car-t-counts", request.filters, compute, sections_read(request, [KINETICS]))


def study_lab_series(
    study: Study, request: AnalysisRequest, store: StudyCache | None = None
) -> dict:
    """The series of the analyte and specimen the request names (analytics.lab_series) over
    the patients it selects; at the clinical cut-off, the values measured by then."""
    params = _without_format(request.params)
    store = store or study_cache(study)

    def compute() -> dict:
        cut = cut_frame(study, store, request, parts=())
        frame = in_population(cut.frame, params["population"])
        # The frame is indexed by patient id: its study ids name the values.
        lab = {"analyte": params["analyte"], "specimen": params["specimen"]}
        if request.as_of is None:
            recorded = study_lab_values(study.pk, frame["study_id"], **lab)
        else:
            recorded = lab_values(frame["study_id"], **lab, as_of=request.as_of)
        recorded = _measured_by(recorded, frame, request.cutoff)
        series = {name: params[name] for name in ("analyte", "specimen", "unit", "per_patient")}
        return lab_series_report(recorded, **series) | _dates(request, cut)

    # The lab values, and the frame of the patients measured.
    key = {**params, "filters": request.filters}
    return store.get("biomarkers-series", key, compute, sections_read(request, LABS))


def study_lab_series_json(study: Study, request: AnalysisRequest) -> Packed:
    """study_lab_series written as JSON, cached written as study_result_json is."""
    store = study_cache(study)
    key = {**_without_format(request.params), "filters": request.filters}
    return store.get(
        "biomarkers-series.json",
        key,
        lambda: packed(json_bytes(study_lab_series(study, request, store))),
        sections_read(request, LABS),
    )


def _measured_by(recorded: pd.DataFrame, frame: pd.DataFrame, cutoff: date | None) -> pd.DataFrame:
    """The recorded values (of the frame's patients) of a day no later than the cut-off,
    if any (days count from the infusion, as in _counted_by)."""
    if cutoff is None:
        return recorded
    days = (pd.Timestamp(cutoff) - frame["infusion_date"]).dt.days
    last_day = pd.Series(days.to_numpy(dtype=float, na_value=np.nan), index=frame["study_id"])
    # Mapped per study id, not per value, when the ids are categorical.
    limit = np.asarray(recorded["study_id"].map(last_day), dtype=float)
    return recorded[recorded["day"].to_numpy() <= limit]


def _counted_by(
    counts: dict[str, list[tuple[int, float]]], frame: pd.DataFrame, cutoff: date
) -> dict[str, list[tuple[int, float]]]:
    # Counts are by day from the infusion: a count is known by the cut-off when its day is
    # at most the days from the infusion to the cut-off.
    days = (pd.Timestamp(cutoff) - frame["infusion_date"]).dt.days
    last_day = dict(
        zip(frame["study_id"], days.to_numpy(dtype=float, na_value=np.nan), strict=True)
    )
    return {
        study_id: [(day, level) for day, level in found if day <= last_day[study_id]]
        for study_id, found in counts.items()
        if study_id in last_day
    }


def _dates(request: AnalysisRequest, cut: CutFrame) -> dict:
    """What every answer says of the dates it was computed at."""
    return {
        **request.dates,
        "left_out_infused_after_cutoff": cut.left_out,
        "warnings": cut.warnings,
    }


def _patients(study: Study, request: AnalysisRequest, filters: dict):
    return study_patients(study, filters, request.search, request.scope, as_of=request.as_of)


def _without_format(params: dict) -> dict:
    # The format changes how a result is written, not the result.
    return {name: value for name, value in params.items() if name != "format"}
