"""Coordinators' data entry: one patient on one page, with every section of the course
inline (registry.admin.sections), and the patient list with its clinical filters."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from registry import models, services
from registry.admin.access import ScopedPatientAdmin
from registry.admin.audit import AuditedAdmin
from registry.admin.course import CourseCheck
from registry.admin.sections import SECTION_INLINES
from registry.patient_filters import BY_NAME


def patient_list_filter(name: str) -> type[admin.SimpleListFilter]:
    """The admin's list filter for the patient filter `name` (registry.patient_filters): the
    same parameter, choices and database lookup as the API's and the pages' lists."""
    defined = BY_NAME[name].filter

    class PatientListFilter(admin.SimpleListFilter):
        title = defined.label
        parameter_name = name

        def lookups(self, request, model_admin):
            return defined.extra["choices"]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            try:
                value = defined.field.clean(self.value())
            except ValidationError:
                return queryset.none()
            return defined.filter(queryset, value)

    return PatientListFilter


@admin.register(models.Patient)
class PatientAdmin(ScopedPatientAdmin, AuditedAdmin):
    list_display = [
        "subject_id",
        "study",
        "site",
        "sex",
        "d30_status",
        "died",
        "required_missing",
        "casebook_signed",
    ]
    list_filter = [
        ("study", admin.RelatedOnlyFieldListFilter),
        ("site", admin.RelatedOnlyFieldListFilter),
        patient_list_filter("d30_response"),
        patient_list_filter("prior_allo_hct"),
        patient_list_filter("vital_status"),
        patient_list_filter("missing_data"),
        patient_list_filter("casebook_signed"),
    ]
    search_fields = ["subject_id"]
    list_select_related = ["study", "site"]
    readonly_fields = ["age_years", "computed_toxicity"]
    inlines = SECTION_INLINES

    def save_formset(self, request, form, formset, change) -> None:
        """The inline records, through registry.services with the page's reason."""
        reason = form.cleaned_data.get(services.REASON_FIELD, "")
        versions = {
            f.instance.pk: f.cleaned_data.get("record_version") for f in formset.initial_forms
        }
        formset.save(commit=False)
        for record in formset.deleted_objects:
            services.record_delete(
                record=record,
                user=request.user,
                reason=reason,
                version=versions.get(record.pk),
                check_course=False,
            )
        for record in [*formset.new_objects, *(record for record, _ in formset.changed_objects)]:
            services.record_save(
                record=record,
                user=request.user,
                reason=reason,
                version=versions.get(record.pk),
                clean=False,
            )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "POST":
            if getattr(request, "course_check", None) is None:
                request.course_check = CourseCheck(obj)
            kwargs["course_check"] = request.course_check
        return kwargs

    @admin.display(description="computed maximum grades")
    def computed_toxicity(self, patient):
        if not patient.pk:
            return "—"
        crs, icans = patient.computed_grades()
        lines = [(f"CRS {crs.reason}",), (f"ICANS {icans.reason}",)]
        lines += [(f"Discrepancy — {text}",) for text in patient.grade_discrepancies()]
        return format_html_join("", "<div>{}</div>", lines)
