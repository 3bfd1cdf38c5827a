"""Search, filters and sorting of a study's patient list."""

import django_filters
from django.db.models import QuerySet

from registry import choices, models
from registry.sorting import ThenByStudyId

YES_NO = [("yes", "Yes"), ("no", "No")]


class PatientFilterSet(django_filters.FilterSet):
    """Filters over the patients of one study."""

    q = django_filters.CharFilter(
        field_name="subject_id", lookup_expr="icontains", label="Search study id"
    )
    site = django_filters.ModelChoiceFilter(
        queryset=models.Site.objects.none(), to_field_name="code", empty_label="All sites"
    )
    sex = django_filters.ChoiceFilter(choices=choices.Sex.choices, empty_label="Any")
    d30 = django_filters.ChoiceFilter(
        label="Day-30 response",
        choices=[*choices.ResponseStatus.choices, ("none", "Not assessed")],
        empty_label="Any",
        method="filter_d30",
    )
    prior_allo_hct = django_filters.ChoiceFilter(
        label="Prior allo-HCT", choices=YES_NO, empty_label="Any", method="filter_yes_no"
    )
    vital = django_filters.ChoiceFilter(
        label="Vital status",
        choices=[("alive", "Alive"), ("dead", "Deceased")],
        empty_label="Any",
        method="filter_vital",
    )
    sort = ThenByStudyId(
        fields=[
            ("subject_id", "subject_id"),
            ("site__code", "site"),
            ("birth_date", "birth_date"),
            ("enrollment_date", "enrollment_date"),
            ("d30_status", "d30"),
            ("last_contact_date", "last_contact_date"),
        ]
    )

    class Meta:
        model = models.Patient
        fields = ["q", "site", "sex", "d30", "prior_allo_hct", "vital"]

    def __init__(self, *args, sites: QuerySet[models.Site], **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["site"].queryset = sites

    def filter_d30(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(d30_status=None if value == "none" else value)

    def filter_yes_no(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{name: value == "yes"})

    def filter_vital(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(died=value == "dead")
