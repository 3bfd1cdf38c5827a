"""Query parameters of the list endpoints. A value that does not parse is a 400 naming it."""

import django_filters as filters

from registry import models as registry
from registry import patient_filters
from registry.patient_filters import TrueFalseFilter
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


class PatientFilterSet(patient_filters.PatientFilterSet):
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
