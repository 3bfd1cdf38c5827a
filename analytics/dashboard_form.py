"""The choices of the dashboard and the Export page: the patient filters, the population
and the dates, under the API's parameter names and validated by analytics.params (a bad
one shows its message beside its field); and the study and form these pages open with.

The dates are typed and shown in the study's format (registry.dates) and handed on in ISO,
as the API, the downloads and the patient list read them."""

from dataclasses import replace
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django_filters import DateFilter
from rest_framework import serializers

from analytics import figures, params
from analytics.cohort import ALL, RESPONDERS
from registry import access
from registry.analytes import ANALYTES
from registry.choices import DateFormat
from registry.date_formats import date_text
from registry.dates import StudyDateField, dates_written
from registry.models import Study
from registry.parameters import NO_CUTOFF
from registry.patient_filters import (
    BY_NAME,
    DATE_FILTERS,
    PatientFilter,
    WholeNumberFilter,
)


class DashboardParams(params.CovariateParams):
    """The population, and the covariate the survival curves are compared by."""

    by = serializers.ChoiceField(choices=list(figures.COVARIATE_LABELS), required=False)
    analyte = params.AnalyteField(required=False)


ANY = ("", "Any")
# The page's choices of what it shows, which are no download's parameters: the survival
# comparison and the lab series drawn.
SHOWN_ONLY = ("by", "cut", "analyte")
FILTERS = list(BY_NAME)
DATE_FIELDS = [*DATE_FILTERS, "cutoff", "as_of"]


def _text(label: str, widget: forms.Widget, help_text: str = "") -> forms.CharField:
    # Every field takes text as typed: analytics.params validates it, as for the API.
    return forms.CharField(label=label, required=False, widget=widget, help_text=help_text)


def _select(label: str, choices: list, help_text: str = "") -> forms.CharField:
    return _text(label, forms.Select(choices=choices), help_text)


def _filter_field(patient_filter: PatientFilter) -> forms.CharField:
    """The field of a patient filter (registry.patient_filters): its label and choices."""
    found = patient_filter.filter
    if "choices" in found.extra:
        return _select(found.label, [ANY, *found.extra["choices"]])
    if isinstance(found, DateFilter):
        return StudyDateField(label=found.label, required=False)
    if isinstance(found, WholeNumberFilter):
        return _text(found.label, forms.NumberInput(attrs={"min": 0}))
    return _text(found.label, forms.TextInput())


class CutoffField(StudyDateField):
    """A clinical cut-off: a date in the study's format, or "none" for no cut-off."""

    def to_python(self, value) -> date | str | None:
        if isinstance(value, str) and value.strip().lower() == NO_CUTOFF:
            return NO_CUTOFF
        try:
            return super().to_python(value)
        except ValidationError as error:
            message = f"{error.message}, or {NO_CUTOFF} for no cut-off"
            raise ValidationError(message, code=error.code) from None


# The patient filters, in their order; the study is the page's own.
PatientFilterFields = type(forms.Form)(
    "PatientFilterFields",
    (forms.Form,),
    {name: _filter_field(patient_filter) for name, patient_filter in BY_NAME.items()},
)


class DashboardForm(PatientFilterFields):
    """The dashboard's choices under the API's parameter names, so that the table downloads
    take the same query. Its cleaned_data["analysis"] is the validated AnalysisRequest."""

    population = _select(
        "Population", [(ALL, "All patients"), (RESPONDERS, "Day-30 responders (CR/CRi)")]
    )
    by = _select("Compare survival by", [("", "No comparison"), *figures.COVARIATE_LABELS.items()])
    cut = _text(
        "Cut point",
        forms.NumberInput(attrs={"step": "any"}),
        "For a number, e.g. 12 (months) or 18 (years)",
    )
    analyte = _select(
        "Lab series",
        [(code, f"{entry.name} ({entry.own_unit})") for code, entry in ANALYTES.items()],
        "The laboratory value whose median and interquartile range by day is drawn",
    )
    cutoff = CutoffField(
        label="Clinical cut-off",
        required=False,
        help_text="Events and assessments after this day are ignored and follow-up ends at "
        "it; empty: the study's cut-off; none: everything recorded",
    )
    as_of = StudyDateField(
        label="As recorded on",
        required=False,
        help_text="The data as it had been entered by the end of this day, before any later "
        "entry or correction; empty: as it stands now",
    )

    def __init__(self, data: QueryDict, *, sites=(), study: Study | None = None):
        self.date_format = study.date_format if study else DateFormat.ISO
        super().__init__(dates_written(data, DATE_FIELDS, self.date_format))
        self.fields["site"].widget = forms.Select(
            choices=[("", "All sites")] + [(site.code, site.label) for site in sites]
        )
        # The sites a site filter may name (analytics.params.analysis_request).
        self.sites = [(study.code, site.code) for site in sites] if study else None
        for name in DATE_FIELDS:
            self.fields[name].use_format(self.date_format)
        self.study_cutoff = study.data_cutoff if study else None
        # Empty takes the study's cut-off, which the field shows.
        self.fields["cutoff"].widget.attrs["placeholder"] = (
            date_text(self.study_cutoff, self.date_format) if self.study_cutoff else NO_CUTOFF
        )

    def clean(self) -> dict:
        query = self.query()
        for name in self.errors:  # refused at the field already, in the study's words
            query.pop(name, None)
        try:
            analysis = params.analysis_request(DashboardParams, query, self.sites)
            self.cleaned_data["analysis"] = replace(analysis, study_cutoff=self.study_cutoff)
        except serializers.ValidationError as error:
            for name, messages in error.detail.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, str(message))
        return self.cleaned_data

    def query(self) -> QueryDict:
        """The values given, as the API's query string takes them: the dates in ISO."""
        query = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name, "").strip()
            if value:
                query[name] = value
        self.errors  # noqa: B018 - cleans the form, so that its dates are read
        for name in DATE_FIELDS:
            day = self.cleaned_data.get(name)
            if isinstance(day, date):
                query[name] = day.isoformat()
        return query

    def download_query(self) -> QueryDict:
        """The values given that the downloads take: the survival comparison and the lab
        series drawn are no download's parameters."""
        query = self.query()
        for name in SHOWN_ONLY:
            query.pop(name, None)
        return query

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FILTERS]

    def analysis_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("population", "by", "cut", "analyte", "cutoff", "as_of")]


def readable_study(request: HttpRequest, code: str) -> Study:
    """The study of the address; 404 unless the user reads it."""
    return get_object_or_404(access.visible_studies(request.user), code=code)


def page_form(request: HttpRequest, study: Study) -> DashboardForm:
    """The page's choices as given, with the sites the user reads to choose from."""
    sites = access.visible_sites(request.user, study.sites.order_by("code"))
    return DashboardForm(request.GET, sites=sites, study=study)
