"""Query parameters of the list endpoints. A value that does not parse is a 400 naming it."""

import django_filters as filters

from registry import access, patient_filters, queries
from registry import models as registry
from registry.patient_filters import TrueFalseFilter
from registry.site_filters import sites_to_check
from registry.sorting import ThenByStudyId


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


class UsersSites:
    """A list's filters whose site is one the requesting user reads (registry.
    site_filters): their sites are read when a site is asked for, and then alone."""

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        sites = None
        if request is not None and data is not None:
            sites = sites_to_check(request.user, data)
        super().__init__(data, queryset, request=request, sites=sites, **kwargs)


class DataQueryFilterSet(UsersSites, queries.DataQueryFilterSet):
    """The data query filters (registry.queries)."""

    class Meta(queries.DataQueryFilterSet.Meta):
        pass


class PatientFilterSet(UsersSites, patient_filters.PatientFilterSet):
    """The patient filters (registry.patient_filters), and the list's order."""

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

    class Meta(patient_filters.PatientFilterSet.Meta):
        pass

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            # A study the user has no role in is not there for them, as at its address.
            self.filters["study"].queryset = access.visible_studies(request.user)
