"""The patient filters: one definition read by the API's patient list, the web list, the
dashboard, the analysis frames and the as-recorded snapshots.

Each filter says once what it is: its query parameter (name, form field, help a clinician
reads), how the database selects on it, and the column of the analysis dataset
(analytics.dataset) with the comparison it stands for there. Analytics turns the
comparison into pandas (analytics.cohort) or applies it to a snapshot's values
(`PatientFilter.matches`); nothing here needs pandas.

Filters on an outcome that a clinical cut-off changes (`outcome`) select, in the analyses,
on the value as known at the cut-off (analytics.results); the registry's own lists have no
cut-off and select on what is recorded.
"""

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import Case, DateField, Model, QuerySet, Value, When
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear
from django.http import QueryDict
from django.utils.text import smart_split, unescape_string_literal
from drf_spectacular.utils import extend_schema_field

from registry import choices
from registry.models import (
    CarTCount,
    CasebookSignature,
    DailyAssessment,
    Eligibility,
    FollowUpEvent,
    Genetics,
    Infusion,
    LabResult,
    Lymphodepletion,
    Patient,
    PriorTherapy,
    ResponseAssessment,
    Study,
    ToxicityRecord,
    ToxicityTreatment,
)
from registry.models.patient import DAY_30_ASSESSMENT, DAY_30_WINDOW
from registry.site_filters import SiteFilterForm, SiteFilterSet

TRUE_FALSE = [("true", "Yes"), ("false", "No")]
NOT_ASSESSED = "none"
ALIVE, DEAD = "alive", "dead"
COMPARISONS: dict[str, Callable[[object, object], bool]] = {
    "eq": operator.eq,
    "ge": operator.ge,
    "le": operator.le,
}
# The database lookup of each comparison a bound stands for.
BOUND_LOOKUPS = {"ge": "gte", "le": "lte"}


def search_terms(text: str) -> list[str]:
    """The terms of a ?search=: separated by spaces or commas; a quoted phrase is one term.
    A patient is found when every term is part of the study id."""
    terms = []
    for part in smart_split(text):
        part = part.strip(",")
        if part.startswith(('"', "'")) and part[0] == part[-1]:
            terms.append(unescape_string_literal(part))
        else:
            terms.extend(term.strip() for term in part.split(",") if term)
    return terms


def with_age_at_infusion(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    """Alias `age_at_infusion` as `Patient.age_years` computes it, in the database.

    Completed years at the first infusion, or at enrolment before any infusion: the years
    between the two dates, less one where the birthday has not come round yet that year.
    """
    queryset = queryset.alias(
        age_on=Coalesce("first_infusion_date", "enrollment_date", output_field=DateField())
    )
    birthday_to_come = Case(
        When(age_on__month__lt=ExtractMonth("birth_date"), then=Value(1)),
        When(
            age_on__month=ExtractMonth("birth_date"),
            age_on__day__lt=ExtractDay("birth_date"),
            then=Value(1),
        ),
        default=Value(0),
    )
    return queryset.alias(
        age_at_infusion=ExtractYear("age_on") - ExtractYear("birth_date") - birthday_to_come
    )


class WholeNumberFilter(django_filters.Filter):
    field_class = forms.IntegerField


def _is_true(value: str) -> bool:
    return value == "true"


class TrueFalseFilter(django_filters.TypedChoiceFilter):
    """Only `true` or `false`: anything else is a 400, not silently no filter."""

    def __init__(self, *, help_text: str, **kwargs):
        super().__init__(choices=TRUE_FALSE, coerce=_is_true, help_text=help_text, **kwargs)
        schema = {"type": "string", "enum": ["true", "false"], "description": help_text}
        extend_schema_field(schema)(self)


def _day_30_response(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(d30_status=None if value == NOT_ASSESSED else value)


def _vital_status(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(died=value == DEAD)


def _missing_data(queryset: QuerySet, name: str, value: bool) -> QuerySet:
    return queryset.filter(required_missing__gt=0) if value else queryset.filter(required_missing=0)


@dataclass(frozen=True)
class PatientFilter:
    """One patient filter. `column` and `compare` say what it means over the analysis
    dataset's rows: the row passes when `compare(row[column], value)` holds, a missing
    value reading as `missing` (and passing nothing when that is None).

    A filter on the casebook (signed, missing required data) has no column (""): the
    casebook's state is the registry's, not an analysis value, and the analyses select on
    it in the database (`filter_patients`), by patient, as the patient list does."""

    name: str
    filter: django_filters.Filter  # the parameter, its help and its database lookup
    column: str
    compare: str = "eq"
    missing: object = None
    reads: tuple[type[Model], ...] = ()  # the sections of a course its value comes from
    outcome: bool = False  # a clinical cut-off changes its value

    def matches(self, recorded: object, value: object) -> bool:
        """Whether a row holding `recorded` in the column passes the filter at `value`."""
        recorded = self.missing if recorded is None else recorded
        return recorded is not None and COMPARISONS[self.compare](recorded, value)


def _age_bound(name: str, label: str, compare: str, help_text: str) -> PatientFilter:
    """A bound on the age (completed years) at the first infusion: the youngest ("ge") or
    the oldest ("le") a patient may be."""
    lookup = f"age_at_infusion__{BOUND_LOOKUPS[compare]}"

    def bounded(queryset: QuerySet, name: str, value: int) -> QuerySet:
        return with_age_at_infusion(queryset).filter(**{lookup: value})

    return PatientFilter(
        name,
        WholeNumberFilter(label=label, method=bounded, min_value=0, help_text=help_text),
        column="age_years",
        compare=compare,
        reads=(Infusion,),
    )


def _infusion_bound(name: str, label: str, compare: str, help_text: str) -> PatientFilter:
    """A bound on the date of the first infusion: the earliest ("ge") or the latest ("le")."""
    return PatientFilter(
        name,
        django_filters.DateFilter(
            label=label,
            field_name="first_infusion_date",
            lookup_expr=BOUND_LOOKUPS[compare],
            help_text=help_text,
        ),
        column="infusion_date",
        compare=compare,
        reads=(Infusion,),  # Patient.first_infusion_date, kept from the infusions
    )


PATIENT_FILTERS = (
    PatientFilter(
        "site",
        django_filters.CharFilter(
            label="Site",
            field_name="site__code",
            help_text="The code of a site you read (unique within a study: combine with study); "
            "another is refused",
        ),
        column="site",
    ),
    PatientFilter(
        "sex",
        django_filters.ChoiceFilter(label="Sex", choices=choices.Sex.choices, help_text="Sex"),
        column="sex",
    ),
    _age_bound(
        "age_min", "Age from", "ge", "At least this old (completed years) at the first infusion"
    ),
    _age_bound(
        "age_max",
        "Age to",
        "le",
        "At most this old (completed years) at the first infusion; not below age_min",
    ),
    PatientFilter(
        "prior_allo_hct",
        TrueFalseFilter(label="Prior allo-HCT", help_text="An allogeneic HCT before the infusion"),
        column="prior_allo_hct",
        reads=(PriorTherapy,),
    ),
    PatientFilter(
        "prior_cd22_cart",
        TrueFalseFilter(label="Prior CD22 CAR-T", help_text="A CD22 CAR-T before the infusion"),
        column="prior_cd22_cart",
        reads=(PriorTherapy,),
    ),
    PatientFilter(
        "d30_response",
        django_filters.ChoiceFilter(
            label="Day-30 response",
            choices=[
                *choices.ResponseStatus.choices,
                (NOT_ASSESSED, "No assessment from day {} to {}".format(*DAY_30_WINDOW)),
            ],
            method=_day_30_response,
            help_text=f"Day-30 response ({DAY_30_ASSESSMENT}); none: not assessed in that window",
        ),
        column="d30_response",
        missing=NOT_ASSESSED,
        reads=(ResponseAssessment,),
        outcome=True,
    ),
    PatientFilter(
        "vital_status",
        django_filters.ChoiceFilter(
            label="Vital status",
            choices=[(ALIVE, "Alive"), (DEAD, "Died")],
            method=_vital_status,
            help_text="dead: a death is recorded; alive: none is",
        ),
        # Derived from the dataset's `death` by analytics (analytics.cohort.vital_status).
        column="vital_status",
        reads=(FollowUpEvent,),
        outcome=True,
    ),
    _infusion_bound(
        "infused_after", "Infused from", "ge", "First infusion on or after this date (YYYY-MM-DD)"
    ),
    _infusion_bound(
        "infused_before",
        "Infused until",
        "le",
        "First infusion on or before this date (YYYY-MM-DD)",
    ),
    PatientFilter(
        "casebook_signed",
        TrueFalseFilter(
            label="Casebook signed",
            field_name="casebook_signed",
            help_text="true: an investigator's signature of the casebook stands; false: none "
            "does (never signed, or voided by a later change)",
        ),
        column="",
        reads=(CasebookSignature,),
    ),
    PatientFilter(
        "missing_data",
        TrueFalseFilter(
            label="Missing required data",
            method=_missing_data,
            help_text="true: a field the study requires is missing; false: every one is filled",
        ),
        column="",
        # Any section may hold a required field, and the study says which.
        reads=(
            Study,
            Eligibility,
            Genetics,
            PriorTherapy,
            Lymphodepletion,
            Infusion,
            CarTCount,
            LabResult,
            ToxicityRecord,
            ToxicityTreatment,
            DailyAssessment,
            ResponseAssessment,
            FollowUpEvent,
        ),
    ),
)
BY_NAME = {patient_filter.name: patient_filter for patient_filter in PATIENT_FILTERS}
# The sections of a course each filter reads besides the patient's own row: a list's pages
# and counts are kept under the data version of those parts (registry.data_version).
FILTERS_READ: dict[str, tuple[type[Model], ...]] = {
    patient_filter.name: patient_filter.reads for patient_filter in PATIENT_FILTERS
}


def filters_read(
    names: Iterable[str], filters_read: Mapping[str, tuple[type[Model], ...]] = FILTERS_READ
) -> set[type[Model]] | None:
    """The sections the filters `names` read besides the patients' own rows, by
    `filters_read` (a list's own, which may name more parameters than FILTERS_READ); None
    when a name is of no filter there, which may read anything."""
    read = set()
    for name in names:
        if name not in filters_read:
            return None
        read.update(filters_read[name])
    return read


# The filters on the casebook, selected in the database by the analyses too.
CASEBOOK_FILTERS = tuple(name for name, found in BY_NAME.items() if not found.column)
# Typed and shown on the pages in the study's format (registry.dates), carried in ISO.
DATE_FILTERS = [
    name for name, found in BY_NAME.items() if isinstance(found.filter, django_filters.DateFilter)
]


def filter_patients(queryset: QuerySet, filters: Mapping[str, object]) -> QuerySet:
    """The patients passing the filters, by name with their cleaned values, in the
    database (the values as recorded: no cut-off)."""
    for name, value in filters.items():
        queryset = BY_NAME[name].filter.filter(queryset, value)
    return queryset


def given_filters(query: QueryDict) -> QueryDict:
    """The patient filters given in `query`, by name: what the patient list, the dashboard
    and the Export page carry to each other."""
    given = QueryDict(mutable=True)
    for name in BY_NAME:
        value = query.get(name, "").strip()
        if value:
            given[name] = value
    return given


def with_query(address: str, query: QueryDict) -> str:
    """The page's address carrying `query` (e.g. the given filters)."""
    return f"{address}?{query.urlencode()}" if query else address


class PatientFilterForm(SiteFilterForm):
    """The filters' values taken together: an age range must run upwards; a site is one
    the user reads (SiteFilterForm)."""

    def clean(self) -> dict:
        cleaned = super().clean()
        low, high = cleaned.get("age_min"), cleaned.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "age_max",
                f"The highest age, {high}, is below the lowest age, {low}: give the lower "
                "age first.",
            )
        return cleaned


# The filters as one FilterSet, a declared filter per name (django-filter's metaclass
# collects them as a class body would).
PatientFilterSet = type(SiteFilterSet)(
    "PatientFilterSet",
    (SiteFilterSet,),
    {
        "__module__": __name__,
        "__doc__": "The patient filters (PATIENT_FILTERS) and the study, by its code.",
        "study": django_filters.ModelChoiceFilter(
            field_name="study",
            to_field_name="code",
            queryset=Study.objects.all(),
            error_messages={"invalid_choice": "No study %(value)r among yours"},
            help_text="Study code",
        ),
        **{patient_filter.name: patient_filter.filter for patient_filter in PATIENT_FILTERS},
        "Meta": type(
            "Meta",
            (),
            {"model": Patient, "form": PatientFilterForm, "fields": ["study", *BY_NAME]},
        ),
    },
)
