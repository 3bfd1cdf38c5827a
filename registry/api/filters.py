"""Query parameters of the list endpoints. A value that does not parse is a 400 naming it."""

import django_filters as filters
from django import forms
from django.db.models import Case, DateField, QuerySet, Value, When
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear
from drf_spectacular.utils import extend_schema_field

from registry import choices
from registry import models as registry
from registry.sorting import ThenByStudyId

TRUE_FALSE = [("true", "true"), ("false", "false")]


def with_age_at_infusion(queryset: QuerySet[registry.Patient]) -> QuerySet[registry.Patient]:
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


class WholeNumberFilter(filters.Filter):
    field_class = forms.IntegerField


def _is_true(value: str) -> bool:
    return value == "true"


class TrueFalseFilter(filters.TypedChoiceFilter):
    """Only `true` or `false`: anything else is a 400, not silently no filter."""

    def __init__(self, *, help_text: str, **kwargs):
        super().__init__(choices=TRUE_FALSE, coerce=_is_true, help_text=help_text, **kwargs)
        schema = {"type": "string", "enum": ["true", "false"], "description": help_text}
        extend_schema_field(schema)(self)


class StudyFilterSet(filters.FilterSet):
    is_synthetic = TrueFalseFilter(help_text="Synthetic demonstration data, not real patients")
    ordering = filters.OrderingFilter(
        fields=[("code", "code"), ("title", "title"), ("data_cutoff", "data_cutoff")],
        help_text="Order by code, title or data_cutoff; prefix with - for descending",
    )

    class Meta:
        model = registry.Study
        fields = ["is_synthetic"]


class SiteFilterSet(filters.FilterSet):
    study = filters.CharFilter(field_name="study__code", help_text="Study code")
    ordering = filters.OrderingFilter(
        fields=[("code", "code"), ("name", "name")],
        help_text="Order by code or name; prefix with - for descending",
    )

    class Meta:
        model = registry.Site
        fields = ["study"]


class PatientFilterForm(forms.Form):
    """The filters' values taken together: an age range must run upwards."""

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


class PatientFilterSet(filters.FilterSet):
    study = filters.ModelChoiceFilter(
        field_name="study",
        to_field_name="code",
        queryset=registry.Study.objects.all(),
        help_text="Study code",
    )
    site = filters.CharFilter(
        field_name="site__code",
        help_text="Site code (site codes are unique within a study: combine with study)",
    )
    sex = filters.ChoiceFilter(choices=choices.Sex.choices, help_text="Sex")
    age_min = WholeNumberFilter(
        method="filter_age_min",
        min_value=0,
        help_text="At least this old (completed years) at the first infusion",
    )
    age_max = WholeNumberFilter(
        method="filter_age_max",
        min_value=0,
        help_text="At most this old (completed years) at the first infusion; not below age_min",
    )
    prior_allo_hct = TrueFalseFilter(help_text="An allogeneic HCT before the infusion")
    prior_cd22_cart = TrueFalseFilter(help_text="A CD22 CAR-T before the infusion")
    d30_response = filters.ChoiceFilter(
        choices=[*choices.ResponseStatus.choices, ("none", "No assessment from day 21 to 45")],
        method="filter_d30_response",
        help_text="Day-30 response (earliest assessment from day 21 to day 45); none: not "
        "assessed in that window",
    )
    vital_status = filters.ChoiceFilter(
        choices=[("alive", "Alive"), ("dead", "Died")],
        method="filter_vital_status",
        help_text="dead: a death is recorded; alive: none is",
    )
    infused_after = filters.DateFilter(
        field_name="first_infusion_date",
        lookup_expr="gte",
        help_text="First infusion on or after this date (YYYY-MM-DD)",
    )
    infused_before = filters.DateFilter(
        field_name="first_infusion_date",
        lookup_expr="lte",
        help_text="First infusion on or before this date (YYYY-MM-DD)",
    )
    ordering = ThenByStudyId(
        fields=[
            ("id", "id"),
            ("subject_id", "study_id"),
            ("birth_date", "birth_date"),
            ("enrollment_date", "enrollment_date"),
            ("first_infusion_date", "first_infusion_date"),
            ("last_contact_date", "last_contact_date"),
        ],
        help_text=(
            "Order by these fields, comma-separated; prefix with - for descending. Patients "
            "alike in them follow by study and study id, in the direction of the last field"
        ),
    )

    class Meta:
        model = registry.Patient
        form = PatientFilterForm
        fields = [
            "study",
            "site",
            "sex",
            "age_min",
            "age_max",
            "prior_allo_hct",
            "prior_cd22_cart",
            "d30_response",
            "vital_status",
            "infused_after",
            "infused_before",
        ]

    def filter_age_min(self, queryset, name, value: int):
        return with_age_at_infusion(queryset).filter(age_at_infusion__gte=value)

    def filter_age_max(self, queryset, name, value: int):
        return with_age_at_infusion(queryset).filter(age_at_infusion__lte=value)

    def filter_d30_response(self, queryset, name, value: str):
        return queryset.filter(d30_status=None if value == "none" else value)

    def filter_vital_status(self, queryset, name, value: str):
        return queryset.filter(died=value == "dead")
