"""OpenAPI descriptions of the analytics endpoints' parameters and answers (documentation only:
the answers are built in analytics.reports and analytics.tables, not by these serializers)."""

from django import forms
from django_filters import ChoiceFilter, DateFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from analytics.cytokines import CRS_GROUPS, SEVERE_CRS_FROM
from analytics.dataset import DATASET_COLUMNS, PEAK_ANALYTES
from analytics.exports import XLSX_TYPE
from analytics.params import PATIENT_FILTERS
from analytics.stats import EXACT_RANK_SUM_BELOW
from registry.biomarkers import PEAK_LAST_DAY
from registry.choices import RESPONDER_STATUSES, ResponseStatus
from registry.icaht import WINDOWS as ICAHT_WINDOWS
from registry.patient_filters import PatientFilterSet
from registry.validators import EARLIEST_DATE

Interval = serializers.ListField(
    child=serializers.FloatField(),
    min_length=2,
    max_length=2,
    allow_null=True,
    help_text="95% confidence interval [lower, upper]; null when not estimable, as where a "
    "survival or incidence is 0 or 1 (follows R survival: its log-log limits are NA there)",
)

Warnings = serializers.ListField(
    child=serializers.CharField(),
    help_text="One per patient left out of the answer, naming the patient and the field: a "
    f"date before {EARLIEST_DATE.year} or after tomorrow, which only data written past "
    "validation can hold",
)


def filter_parameters() -> list[OpenApiParameter]:
    """The patient-list filters, described as the patient list describes them."""
    parameters = []
    for name in PATIENT_FILTERS:
        found = PatientFilterSet.base_filters[name]
        kind, enum = str, None
        if isinstance(found, DateFilter):
            kind = OpenApiTypes.DATE
        elif isinstance(found, ChoiceFilter):
            enum = [value for value, _label in found.extra["choices"]]
        elif issubclass(found.field_class, forms.IntegerField):
            kind = int
        description = str(found.extra.get("help_text", ""))
        parameters.append(OpenApiParameter(name, kind, enum=enum, description=description))
    search = "Terms separated by spaces or commas, each part of the study id"
    return [*parameters, OpenApiParameter("search", str, description=search)]


class AnswerDatesSerializer(serializers.Serializer):
    """What every answer says of the dates it was computed at."""

    cutoff = serializers.DateField(
        allow_null=True, help_text="The clinical cut-off applied; null: none, everything"
    )
    as_of = serializers.DateField(
        allow_null=True, help_text="The data as recorded on this day; null: as it stands"
    )
    left_out_infused_after_cutoff = serializers.IntegerField(
        help_text="Patients left out because first infused after the clinical cut-off"
    )


class RateSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Patients with a day-30 assessment")
    not_evaluable = serializers.IntegerField(
        help_text="Of n, assessed as not evaluable: counted as non-responders"
    )
    responders = serializers.IntegerField(
        help_text=" or ".join(ResponseStatus(status).label for status in RESPONDER_STATUSES)
    )
    rate = serializers.FloatField(allow_null=True)
    ci95 = Interval


class GroupRateSerializer(RateSerializer):
    value = serializers.JSONField(help_text="The covariate's value, or <cut / >=cut")


class ResponseResultSerializer(RateSerializer, AnswerDatesSerializer):
    by = serializers.CharField(allow_null=True)
    groups = GroupRateSerializer(many=True)
    test = serializers.ChoiceField(
        choices=["fisher_exact", "fisher_freeman_halton", "chi_square", "none"]
    )
    p_value = serializers.FloatField(allow_null=True)
    warnings = Warnings


class EstimateSerializer(serializers.Serializer):
    month = serializers.FloatField()
    survival = serializers.FloatField(allow_null=True, help_text="null after the last time seen")
    ci95 = Interval
    at_risk = serializers.IntegerField()


class CurveSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.FloatField())
    survival = serializers.ListField(child=serializers.FloatField())
    ci95_lower = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="null where S is 0 or 1"
    )
    ci95_upper = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="null where S is 0 or 1"
    )
    censored_months = serializers.ListField(
        child=serializers.FloatField(),
        help_text="Each censored patient's time (no event by last contact or the cut-off), "
        "where a plot marks the curve",
    )


class SurvivalGroupSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True, help_text="null without `by`")
    n = serializers.IntegerField()
    events = serializers.IntegerField()
    median_months = serializers.FloatField(
        allow_null=True,
        help_text="Follows R survival's quantile.survfit: the first time S(t) < 0.5; on a flat "
        "stretch at exactly 0.5, its midpoint (the midpoint of its start and the last time when "
        "the curve ends on it); null if not reached",
    )
    median_ci95 = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        allow_null=True,
        help_text="[lower, upper]: the same rule on the log-log limits; a limit the curve never "
        "reaches is null (not reached); null when neither is reached",
    )
    estimates = EstimateSerializer(many=True)
    curve = CurveSerializer(help_text="The Kaplan–Meier step function, for plotting")


class SurvivalResultSerializer(AnswerDatesSerializer):
    endpoint = serializers.ChoiceField(choices=["efs", "os", "rfs", "bca"])
    population = serializers.ChoiceField(choices=["all", "responders"])
    landmark = serializers.FloatField(allow_null=True)
    by = serializers.CharField(allow_null=True)
    groups = SurvivalGroupSerializer(many=True)
    logrank_p = serializers.FloatField(
        allow_null=True,
        help_text="null without `by`, with fewer than two groups, or without any event (R's "
        "survdiff gives NA)",
    )
    warnings = Warnings


class FollowUpSerializer(AnswerDatesSerializer):
    survivors = serializers.IntegerField()
    median_months = serializers.FloatField(allow_null=True)
    range_months = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    reverse_km_median_months = serializers.FloatField(allow_null=True)
    warnings = Warnings


class IncidencePointSerializer(serializers.Serializer):
    month = serializers.FloatField()
    incidence = serializers.FloatField(allow_null=True)
    ci95 = Interval


class IncidenceSerializer(AnswerDatesSerializer):
    population = serializers.ChoiceField(choices=["all", "responders"])
    n = serializers.IntegerField()
    relapse = IncidencePointSerializer(many=True, help_text="Cumulative incidence of relapse")
    nrm = IncidencePointSerializer(many=True, help_text="Non-relapse mortality")
    rfs = EstimateSerializer(many=True, help_text="Relapse-free survival (1 - relapse - NRM)")
    warnings = Warnings


class GradeCountSerializer(serializers.Serializer):
    grade = serializers.IntegerField()
    n = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class GradesSerializer(serializers.Serializer):
    distribution = GradeCountSerializer(many=True, help_text="As analysed: recorded, else computed")
    recorded = GradeCountSerializer(many=True, help_text="The site's recorded maximum grade")
    computed = GradeCountSerializer(many=True, help_text="From the daily assessments (ASTCT)")
    any_grade = serializers.IntegerField()
    grade_3_or_higher = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    n = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    geometric_mean = serializers.FloatField(allow_null=True)


class IcahtDiscrepancySerializer(serializers.Serializer):
    compared = serializers.IntegerField(help_text="Patients with a recorded and a computed grade")
    n = serializers.IntegerField(help_text="Of those, the patients whose grades differ")
    patients = serializers.ListField(
        child=serializers.DictField(),
        help_text="study_id, icaht_grade_recorded, icaht_early_grade",
    )


class IcahtSerializer(serializers.Serializer):
    early = GradeCountSerializer(
        many=True,
        help_text=f"Early ICAHT ({ICAHT_WINDOWS['early']}) computed from the ANC values (EHA/EBMT, "
        "Rejeski et al., Blood 2023); percent of the patients with a grade",
    )
    late = GradeCountSerializer(
        many=True,
        help_text=f"Late ICAHT ({ICAHT_WINDOWS['late']}), censored at relapse, next "
        "therapy or allo-HCT",
    )
    recorded = GradeCountSerializer(many=True, help_text="The site's recorded early grade")
    early_grade_3_or_higher = serializers.IntegerField()
    late_grade_3_or_higher = serializers.IntegerField()
    discrepancies = IcahtDiscrepancySerializer(
        help_text="The recorded early grade against the computed one"
    )


class ToxicitySerializer(AnswerDatesSerializer):
    n = serializers.IntegerField()
    crs = GradesSerializer()
    icans = GradesSerializer()
    crs_onset_day = SummarySerializer(
        help_text="Days from the infusion to CRS onset: the site's recorded onset, else the "
        "first daily assessment graded 1 or more"
    )
    treatments = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="tocilizumab, corticosteroids, plasmapheresis: {recorded, given}",
    )
    discrepancies = serializers.DictField(
        help_text="compared, n, and patients: study_id with recorded and computed grades"
    )
    icaht = IcahtSerializer(
        help_text="Neutrophil ICAHT (immune effector cell-associated hematotoxicity)"
    )
    warnings = Warnings


class KineticsSummarySerializer(serializers.Serializer):
    n = serializers.IntegerField()
    cmax_cells_per_ul = SummarySerializer()
    tmax_day = SummarySerializer()
    auc_0_28 = SummarySerializer()
    last_detected_day = SummarySerializer()


class KineticsSerializer(AnswerDatesSerializer):
    n = serializers.IntegerField()
    with_counts = serializers.IntegerField()
    detected = serializers.IntegerField()
    summary = KineticsSummarySerializer(help_text="Patients with detectable CAR-T cells")
    by_response = serializers.DictField(child=KineticsSummarySerializer())
    patients = serializers.ListField(child=serializers.DictField())
    warnings = Warnings


class LabSeriesDaySerializer(serializers.Serializer):
    day = serializers.IntegerField(
        help_text="Visit day after the infusion (0: the baseline, the last value on or before "
        "the infusion); each value counts at its nearest visit day"
    )
    n = serializers.IntegerField(help_text="Patients with a value at this visit")
    median = serializers.FloatField()
    q1 = serializers.FloatField(help_text="First quartile (R's default quantile, type 7)")
    q3 = serializers.FloatField(help_text="Third quartile (R's default quantile, type 7)")
    below_detection = serializers.IntegerField(
        help_text="Patients whose value was below detection (counted as 0)"
    )
    days = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="[first, last] day after the infusion of the values counted at this visit",
    )


class LabSeriesPointSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    day = serializers.IntegerField()
    value = serializers.FloatField(help_text="In `unit`; the limit of detection when below it")
    below_detection = serializers.BooleanField()


class LabSeriesSerializer(AnswerDatesSerializer):
    analyte = serializers.CharField()
    analyte_name = serializers.CharField(help_text="As a clinician writes it: ANC, IL-6")
    specimen = serializers.CharField()
    unit = serializers.CharField()
    patients = serializers.IntegerField(help_text="Patients with at least one value counted")
    values = serializers.IntegerField(help_text="Values counted")
    left_out_other_unit = serializers.IntegerField(
        help_text="Values left out because recorded in a unit without a conversion factor to "
        "`unit` (sIL-2R in U/mL and pg/mL)"
    )
    days = LabSeriesDaySerializer(many=True)
    series = LabSeriesPointSerializer(
        many=True, required=False, help_text="With per_patient=true: every value counted"
    )
    warnings = Warnings


class PeakSummarySerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text=f"Patients with a value in days 0–{PEAK_LAST_DAY}")
    median = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class PeakGroupSerializer(PeakSummarySerializer):
    crs_grade = serializers.ChoiceField(
        choices=list(CRS_GROUPS),
        help_text=f"CRS grade group: 0–{SEVERE_CRS_FROM - 1}, or {SEVERE_CRS_FROM} and higher",
    )


class PeakSerializer(serializers.Serializer):
    analyte = serializers.CharField(
        help_text=f"{', '.join(PEAK_ANALYTES[:-1])} or {PEAK_ANALYTES[-1]}"
    )
    name = serializers.CharField()
    unit = serializers.CharField(help_text="The registry's unit the peaks are in")
    column = serializers.CharField(help_text="The analysis dataset's column of the peak")
    overall = PeakSummarySerializer()
    peak_day = PeakSummarySerializer(help_text="Day of the peak (days after infusion)")
    by_crs_grade = PeakGroupSerializer(many=True)
    rank_sum_p = serializers.FloatField(
        allow_null=True,
        help_text="Two-sided Wilcoxon rank-sum p between the groups (exact below "
        f"{EXACT_RANK_SUM_BELOW} per group without ties, else normal with continuity "
        "correction); null when a group is empty",
    )


class BiomarkersSerializer(AnswerDatesSerializer):
    n = serializers.IntegerField()
    crs_groups = serializers.DictField(
        child=serializers.IntegerField(), help_text="Patients in each CRS grade group"
    )
    peaks = PeakSerializer(many=True)
    warnings = Warnings


class TableSerializer(AnswerDatesSerializer):
    title = serializers.CharField()
    n = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.DictField())
    warnings = Warnings


class DatasetSerializer(AnswerDatesSerializer):
    count = serializers.IntegerField()
    results = serializers.ListField(
        child=serializers.DictField(),
        help_text="One row per patient; keys: " + ", ".join(DATASET_COLUMNS),
    )
    warnings = Warnings


BAD_PARAMETERS = OpenApiResponse(
    OpenApiTypes.OBJECT, description="A bad or unknown parameter: each one named, with why"
)
DATES_SAID = (
    "; the clinical cut-off and the as-recorded date in the X-Data-Cutoff and X-Data-As-Of "
    'headers ("none" where not applied)'
)
CSV = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="?format=csv" + DATES_SAID)}
XLSX = {
    (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="?format=xlsx" + DATES_SAID)
}
