"""Search, filters and sorting of a study's patient list."""

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict

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


# The list's filters that the dashboard and the Export page also take, by the name each has
# in registry.api.filters.PatientFilterSet, and the values spelt otherwise there. The study
# id search (q) has no counterpart there, so it stays on the list.
ANALYSIS_NAMES = {
    "site": "site",
    "sex": "sex",
    "d30": "d30_response",
    "prior_allo_hct": "prior_allo_hct",
    "vital": "vital_status",
}
ANALYSIS_VALUES = {"prior_allo_hct": {"yes": "true", "no": "false"}}


def _carried(query: QueryDict, names: dict[str, str], values: dict[str, dict]) -> QueryDict:
    carried = QueryDict(mutable=True)
    for name, target in names.items():
        value = query.get(name, "").strip()
        if value:
            carried[target] = values.get(name, {}).get(value, value)
    return carried


def analysis_query(query: QueryDict) -> QueryDict:
    """The list's filters in `query` as the dashboard's and the API's parameters."""
    return _carried(query, ANALYSIS_NAMES, ANALYSIS_VALUES)


def list_query(query: QueryDict) -> QueryDict:
    """The dashboard's patient filters in `query` as the list's parameters."""
    names = {target: name for name, target in ANALYSIS_NAMES.items()}
    values = {
        ANALYSIS_NAMES[name]: {target: value for value, target in spelt.items()}
        for name, spelt in ANALYSIS_VALUES.items()
    }
    return _carried(query, names, values)


def with_query(address: str, query: QueryDict) -> str:
    return f"{address}?{query.urlencode()}" if query else address
