"""Query parameters of the analytics endpoints, validated so that a bad one is a 400 naming it.

The patient filters are the patient list's (GET /api/v1/patients/): the same FilterSet
(registry.patient_filters.PatientFilterSet) and the same ?search= on the study id, so a
filter means the same thing in both places. The study comes from the address, so its `study`
filter, and the list's `ordering`, are not taken here. Every statistic describes exactly
the rows that GET .../analytics/dataset/ returns for the same parameters.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.http import QueryDict
from rest_framework import serializers

from analytics.cohort import ALL, COVARIATES, NUMERIC, ORDINAL, RESPONDERS
from analytics.figures import COVARIATE_LABELS, ENDPOINT_NAMES
from analytics.reports import DEFAULT_TIMES
from registry.analytes import ANALYTES, PERIPHERAL_BLOOD, SPECIMENS
from registry.models import Patient
from registry.parameters import (
    AsOfField,
    CutoffField,
    clinical_cutoff,
    given_params,
    query_problems,
)
from registry.patient_filters import (
    BY_NAME,
    CASEBOOK_FILTERS,
    PatientFilterSet,
    search_terms,
)

MAX_TIMES = 40
# The casebook's state is kept as it stands, with no history to read it on a past day.
AS_OF_CASEBOOK = (
    "{name} selects on the casebook as it stands today: it cannot be combined with as_of"
)
ENDPOINTS = tuple(ENDPOINT_NAMES)
PATIENT_FILTERS = tuple(BY_NAME)
FILTERS = (*PATIENT_FILTERS, "search")


class MonthsField(serializers.CharField):
    """Months after the time origin, comma-separated: "12,18"."""

    default_error_messages = {
        "months": "Give months as numbers of 0 or more separated by commas, e.g. 12,18.",
        "too_many": f"Give at most {MAX_TIMES} times.",
    }

    def to_internal_value(self, data) -> tuple[float, ...]:
        text = super().to_internal_value(data)
        try:
            months = tuple(float(part) for part in text.split(","))
        except ValueError:
            self.fail("months")
        if not all(math.isfinite(month) and month >= 0 for month in months):
            self.fail("months")
        if len(months) > MAX_TIMES:
            self.fail("too_many")
        return tuple(sorted(set(months)))

    def to_representation(self, value) -> str:
        return ",".join(f"{month:g}" for month in value)


class FiniteFloatField(serializers.FloatField):
    default_error_messages = {"finite": "A finite number is required."}

    def to_internal_value(self, data) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("finite")
        return value


class AnalysisParams(serializers.Serializer):
    """The population analysed; the patient-list filters are PatientFilterSet's."""

    population = serializers.ChoiceField(
        choices=[ALL, RESPONDERS],
        required=False,
        help_text="all patients, or day-30 responders (CR or CRi) only",
    )
    as_of = AsOfField()
    cutoff = CutoffField()

    default_population = ALL

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("population", self.default_population)
        return attrs


class CovariateParams(AnalysisParams):
    by = serializers.ChoiceField(
        choices=COVARIATES,
        required=False,
        error_messages={
            "invalid_choice": '"{input}" is not a covariate. Allowed: ' + ", ".join(COVARIATES)
        },
        help_text="Covariate to compare groups by (a column of the analysis dataset)",
    )
    cut = FiniteFloatField(
        required=False,
        help_text='Split a numeric covariate into "<cut" and ">=cut" (required for numeric ones)',
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        by, cut = attrs.get("by"), attrs.get("cut")
        if cut is not None and by is None:
            raise serializers.ValidationError(
                {"cut": "A cut point needs a covariate to compare by."}
            )
        # Named as the dashboard labels it: its messages show beside its fields.
        name = COVARIATE_LABELS.get(by, by)
        if cut is not None and by not in NUMERIC + ORDINAL:
            raise serializers.ValidationError(
                {"cut": f"{name} is not a number; leave the cut point empty."}
            )
        if cut is None and by in NUMERIC:
            raise serializers.ValidationError(
                {"cut": f"{name} is a number; give a cut point to split the patients at."}
            )
        return attrs


class ResponseParams(CovariateParams):
    pass


class SurvivalParams(CovariateParams):
    endpoint = serializers.ChoiceField(
        choices=ENDPOINTS,
        default="efs",
        error_messages={
            "invalid_choice": '"{input}" is not an endpoint. Allowed: ' + ", ".join(ENDPOINTS)
        },
        help_text="efs: relapse or death (with all patients, non-response at day 0); "
        "rfs: the same, among responders by default; os: death; bca: B-cell recovery, "
        "from the start of B-cell aplasia, among patients with aplasia",
    )
    times = MonthsField(
        default=DEFAULT_TIMES, help_text="Months at which to estimate survival, e.g. 12,18"
    )
    landmark = FiniteFloatField(
        required=False,
        min_value=0,
        help_text="Months after infusion: analyse patients event-free at it, from it",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("endpoint") == "rfs":
            attrs.setdefault("population", RESPONDERS)
        return super().validate(attrs)


class IncidenceParams(AnalysisParams):
    times = MonthsField(default=DEFAULT_TIMES, help_text="Months at which to estimate, e.g. 12,18")

    # Relapse presupposes a remission.
    default_population = RESPONDERS


class TableParams(AnalysisParams):
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx"], default="json")


class DatasetParams(AnalysisParams):
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")


class AnalyteField(serializers.ChoiceField):
    """An analyte of registry.analytes by its code, in any case: "IL6" is il6."""

    def __init__(self, **kwargs):
        allowed = ", ".join(f"{code} ({entry.name})" for code, entry in ANALYTES.items())
        super().__init__(
            choices=[(code, entry.name) for code, entry in ANALYTES.items()],
            error_messages={"invalid_choice": f'"{{input}}" is not an analyte. Allowed: {allowed}'},
            **kwargs,
        )

    def to_internal_value(self, data) -> str:
        code = str(data).strip().lower()
        if code not in ANALYTES:
            self.fail("invalid_choice", input=data)
        return code


class LabSeriesParams(AnalysisParams):
    analyte = AnalyteField(help_text="The analyte, by its code: e.g. anc, platelets, il6, crp")
    specimen = serializers.ChoiceField(
        choices=list(SPECIMENS.items()),
        default=PERIPHERAL_BLOOD,
        error_messages={
            "invalid_choice": '"{input}" is not a specimen. Allowed: '
            + ", ".join(f"{code} ({label})" for code, label in SPECIMENS.items())
        },
        help_text="The specimen the values were measured in; peripheral blood by default",
    )
    unit = serializers.CharField(
        required=False,
        help_text="The unit of the answer, one of the analyte's units (e.g. /uL for ANC); "
        "its own unit, the first of registry.analytes, by default",
    )
    per_patient = serializers.BooleanField(
        default=False, help_text="true: also each patient's values, day by day"
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        analyte = ANALYTES[attrs["analyte"]]
        unit = attrs.setdefault("unit", analyte.own_unit)
        if unit not in analyte.units:
            allowed = ", ".join(analyte.units)
            raise serializers.ValidationError(
                {"unit": f"{analyte.name} is not given in {unit}. Allowed: {allowed}"}
            )
        return attrs


@dataclass(frozen=True)
class AnalysisRequest:
    params: dict  # the endpoint's own parameters, validated, defaults filled in
    filterset: PatientFilterSet | None  # validated; None without filters
    search: str
    # The sites whose patients the user reads (registry.access.patient_scope); None: all.
    scope: tuple[int, ...] | None = None
    # The study's data_cutoff: the clinical cut-off when `cutoff` is not given.
    study_cutoff: date | None = None

    @property
    def as_of(self) -> date | None:
        """The day the data is read as recorded on (registry.snapshots), or None for the
        data as it stands."""
        return self.params.get("as_of")

    @property
    def cutoff(self) -> date | None:
        """The clinical cut-off (analytics.cutoff), or None to look at everything."""
        return clinical_cutoff(self.params.get("cutoff"), self.study_cutoff)

    @property
    def dates(self) -> dict:
        """The cut-off and the as-recorded date an answer was computed at, as it says them."""
        return {
            "cutoff": self.cutoff and self.cutoff.isoformat(),
            "as_of": self.as_of and self.as_of.isoformat(),
        }

    @property
    def patient_filters(self) -> dict:
        """The patient filters given, by name, cleaned: "010" and "10" are the same age."""
        cleaned = self.filterset.form.cleaned_data if self.filterset else {}
        return {
            name: value
            for name, value in cleaned.items()
            if name in PATIENT_FILTERS and value not in (None, "")
        }

    @property
    def recorded_filters(self) -> dict:
        """The patient filters on what a clinical cut-off leaves as recorded: the patients
        are chosen by them before the cut-off is applied."""
        return {
            name: value for name, value in self.patient_filters.items() if not BY_NAME[name].outcome
        }

    @property
    def dataset_filters(self) -> dict:
        """The recorded_filters on a column of the analysis dataset, which the frame
        selects on; the others select on the casebook (`casebook_filters`)."""
        return {
            name: value for name, value in self.recorded_filters.items() if BY_NAME[name].column
        }

    @property
    def casebook_filters(self) -> dict:
        """The filters on the casebook's state (registry.patient_filters.CASEBOOK_FILTERS),
        selected in the database."""
        return {
            name: value for name, value in self.patient_filters.items() if name in CASEBOOK_FILTERS
        }

    @property
    def outcome_filters(self) -> dict:
        """The patient filters on outcomes a clinical cut-off changes (registry.
        patient_filters): they select on the values at the cut-off, after it is applied."""
        return {
            name: value for name, value in self.patient_filters.items() if BY_NAME[name].outcome
        }

    @property
    def search_terms(self) -> list[str]:
        return search_terms(self.search)

    @property
    def filters(self) -> dict:
        """The filters in a normal form, for cache keys. The user's scope is one of them:
        users who read different patients share nothing; so are the as-recorded date and
        the clinical cut-off."""
        found = self.patient_filters
        if self.scope is not None:
            found["scope"] = list(self.scope)
        if self.as_of is not None:
            found["as_of"] = self.as_of.isoformat()
        if self.cutoff is not None:
            found["cutoff"] = self.cutoff.isoformat()
        terms = self.search_terms
        return found | {"search": terms} if terms else found


def analysis_request(
    params_class: type[AnalysisParams],
    query: QueryDict,
    sites: Sequence[tuple[str, str]] | None = None,
) -> AnalysisRequest:
    """The validated request; raises ValidationError naming each bad or unknown parameter.
    `sites`: the (study code, site code) of the sites the user reads, one of which a site
    filter must name (registry.site_filters); None takes any."""
    names = list(params_class().fields)
    serializer = params_class(data=given_params(query, names))
    errors = query_problems(query, [*names, *FILTERS])
    if not serializer.is_valid():
        errors |= serializer.errors
    given = given_params(query, PATIENT_FILTERS)
    filterset = None
    if given:
        filterset = PatientFilterSet(data=given, queryset=Patient.objects.none(), sites=sites)
        if not filterset.is_valid():
            errors |= filterset.errors
    if query.get("as_of"):
        errors |= {
            name: [AS_OF_CASEBOOK.format(name=name)] for name in CASEBOOK_FILTERS if name in given
        }
    if errors:
        raise serializers.ValidationError(errors)
    return AnalysisRequest(serializer.validated_data, filterset, query.get("search", ""))
