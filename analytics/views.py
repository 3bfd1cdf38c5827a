"""Live cohort statistics under /api/v1/studies/{code}/analytics/. Thin views: parse the
query, take the (cached) result from analytics.results, render it.

Every endpoint takes the patient list's filters and population=all|responders; a bad or
unknown parameter is a 400 naming it. Reading needs a role in the study (else 404); the
statistics count the patients the user reads (registry.access): a clinician's, those of
their own sites.
"""

from dataclasses import replace

from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_view

from analytics import params, schema
from analytics.exports import (
    CSV_TYPE,
    csv_text,
    dates_headers,
    dates_note,
    packed_response,
    table_csv_response,
    xlsx_response,
)
from analytics.results import (
    study_dataset,
    study_lab_series_json,
    study_result,
    study_result_json,
)
from registry import access
from registry.http import STUDY_CODE, StudyDataView
from registry.models import Study
from registry.parameters import AS_OF_TODAY_WARNING
from registry.site_filters import sites_to_check


def documented(summary: str, params_class, response, description: str = "", downloads=None):
    """The OpenAPI description of an analytics GET: its parameters and answers."""
    responses = {200: response, 400: schema.BAD_PARAMETERS, **(downloads or {})}
    return extend_schema_view(
        get=extend_schema(
            summary=summary,
            description=description,
            parameters=[STUDY_CODE, params_class, *schema.filter_parameters(), AS_OF_TODAY_WARNING],
            responses=responses,
            tags=["analytics"],
        )
    )


class AnalyticsView(StudyDataView):
    """A statistic of the study, as JSON; CSV and Excel are written by the views that
    offer them."""

    params_class: type[params.AnalysisParams] = params.AnalysisParams
    report = ""

    def get(self, request, code: str):
        study, analysis = self.parse(request, code)
        return self.json(study, analysis)

    def json(self, study: Study, analysis: params.AnalysisRequest) -> HttpResponse:
        answer = study_result_json(study, self.report, analysis)
        return packed_response(self.request, answer, "application/json")

    def parse(self, request, code: str) -> tuple[Study, params.AnalysisRequest]:
        study = access.visible_study(request.user, code)
        if study is None:
            raise Http404
        sites = sites_to_check(request.user, request.query_params, study.pk)
        analysis = params.analysis_request(self.params_class, request.query_params, sites)
        scope = access.patient_scope(request.user, study)
        return study, replace(analysis, scope=scope, study_cutoff=study.data_cutoff)


@documented(
    "Day-30 response rate, overall and by a covariate",
    params.ResponseParams,
    schema.ResponseResultSerializer,
    "CR or CRi among patients with a day-30 assessment, with exact (Clopper–Pearson) "
    "intervals; groups compared by Fisher's exact test (two groups) or Fisher–Freeman–Halton.",
)
class ResponseView(AnalyticsView):
    params_class = params.ResponseParams
    report = "response"


@documented(
    "Kaplan–Meier survival: EFS, RFS or OS; time to B-cell recovery",
    params.SurvivalParams,
    schema.SurvivalResultSerializer,
    "Log-log intervals; groups compared by the log-rank test. Follows R survival where "
    "packages differ: the median as quantile.survfit takes it, null intervals where S is 0 "
    "or 1, a null log-rank p without any event. An event on the infusion day is at time 0. "
    "With `landmark`, only patients "
    "event-free and followed at the landmark, classified as of it (e.g. transplanted by "
    "then), with time counted from it. endpoint=bca: time from the start of B-cell aplasia "
    "to B-cell recovery among patients with aplasia, censored at the last B-cell value "
    "(aplasia ongoing) or at an allo-HCT (the dataset's bca_* columns), in months.",
)
class SurvivalView(AnalyticsView):
    params_class = params.SurvivalParams
    report = "survival"


@documented(
    "Median follow-up",
    params.AnalysisParams,
    schema.FollowUpSerializer,
    "Among survivors (median and range), and by reverse Kaplan–Meier.",
)
class FollowUpView(AnalyticsView):
    report = "follow-up"


@documented(
    "Cumulative incidence of relapse and non-relapse mortality",
    params.IncidenceParams,
    schema.IncidenceSerializer,
    "Aalen–Johansen, each the other's competing risk; responders by default. With "
    "population=all, non-response is a disease failure at day 0.",
)
class IncidenceView(AnalyticsView):
    params_class = params.IncidenceParams
    report = "cumulative-incidence"


@documented(
    "CRS, ICANS and ICAHT: grades, onset, treatments, discrepancies",
    params.AnalysisParams,
    schema.ToxicitySerializer,
)
class ToxicityView(AnalyticsView):
    report = "toxicity"


@documented(
    "CAR-T expansion and persistence",
    params.AnalysisParams,
    schema.KineticsSerializer,
    "Per patient Cmax, Tmax, AUC0–28 and last day detected; median and range among patients "
    "with detectable cells, overall and by day-30 response.",
)
class KineticsView(AnalyticsView):
    report = "kinetics"


@documented(
    "A laboratory value's course: median and quartiles by day after infusion",
    params.LabSeriesParams,
    schema.LabSeriesSerializer,
    "For one analyte in one specimen, by visit day after the infusion: the number of "
    "patients, the median and the first and third quartiles (R's type 7) of their values in "
    "`unit`. Each value counts at its nearest day of the visit grid (every day to day 14, "
    "then days 21, 28, 42, 60, 90, 120, 150, 180, 270, and every 182 days from 365), each "
    "patient once per visit day with the value nearest it; day 0 is the baseline, the last "
    "value on or before the infusion. A value below detection counts as 0. Values measured "
    "after the clinical cut-off are left out. With per_patient=true, every value counted, "
    "by study id and day.",
)
class LabSeriesView(AnalyticsView):
    params_class = params.LabSeriesParams

    def json(self, study: Study, analysis: params.AnalysisRequest) -> HttpResponse:
        return packed_response(
            self.request, study_lab_series_json(study, analysis), "application/json"
        )


@documented(
    "Cytokine and inflammation peaks by CRS grade (the seed's Table S3)",
    params.AnalysisParams,
    schema.BiomarkersSerializer,
    "For IL-6, IFN-γ, IL-10, ferritin and CRP: the peak in days 0–30 of each patient with a "
    "value (in pg/mL, ng/mL and mg/L: values entered in another unit converted; below "
    "detection counts as 0), its median and range overall and in CRS grade 0–1 against "
    "grade 2 or higher (the CRS grade as analysed), compared by the two-sided Wilcoxon "
    "rank-sum (Mann–Whitney) test as R's wilcox.test computes it.",
)
class BiomarkersView(AnalyticsView):
    report = "biomarkers"


class TableView(AnalyticsView):
    params_class = params.TableParams

    def get(self, request, code: str):
        study, analysis = self.parse(request, code)
        if analysis.params["format"] == "json":
            return self.json(study, analysis)
        table = study_result(study, self.report, analysis)
        name, note = f"{study.code}-{self.report}", dates_note(table)
        # The patients left out, as footnotes in the first column, before the dates' note.
        notes = [{table["columns"][0]: warning} for warning in table["warnings"]]
        rows = [*table["rows"], *notes]
        if analysis.params["format"] == "csv":
            text = csv_text(table["columns"], rows, note, title=table["title"])
            response = table_csv_response(text, name)
        else:
            response = xlsx_response(table["title"], table["columns"], rows, name, note)
        return dates_headers(response, table)


def documented_table(title: str):
    """The schema of one of the paper's tables, computed for any cohort."""
    return documented(
        title,
        params.TableParams,
        schema.TableSerializer,
        "As in An et al., BMC Cancer 2022, for any cohort. ?format=csv or xlsx to download.",
        downloads=schema.CSV | schema.XLSX,
    )


@documented_table("Table 1: patient characteristics")
class CharacteristicsTableView(TableView):
    report = "characteristics"


@documented_table("Table 2: treatment and outcomes")
class OutcomesTableView(TableView):
    report = "outcomes"


@documented(
    "The analysis dataset: one row per patient",
    params.DatasetParams,
    schema.DatasetSerializer,
    "The rows every statistic is computed from (see analytics.dataset). ?format=csv to download.",
    downloads=schema.CSV,
)
class DatasetView(AnalyticsView):
    params_class = params.DatasetParams

    def get(self, request, code: str):
        study, analysis = self.parse(request, code)
        answer = study_dataset(study, analysis)
        if analysis.params["format"] == "csv":
            response = packed_response(request, answer, CSV_TYPE, f"{study.code}-dataset.csv")
            return dates_headers(response, analysis.dates)
        return packed_response(request, answer, "application/json")
