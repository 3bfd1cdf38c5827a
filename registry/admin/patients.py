"""Coordinators' data entry: one patient on one page, with every section of the course
inline (registry.admin.sections), and the patient list with its clinical filters."""

from django.contrib import admin
from django.utils.html import format_html_join

from registry import choices, models, services
from registry.admin.access import ScopedPatientAdmin
from registry.admin.audit import AuditedAdmin
from registry.admin.course import CourseCheck
from registry.admin.sections import (
    CarTCountInline,
    DailyAssessmentInline,
    EligibilityInline,
    FollowUpEventInline,
    GeneticsInline,
    InfusionInline,
    LabResultInline,
    LymphodepletionInline,
    PriorTherapyInline,
    ResponseAssessmentInline,
    ToxicityInline,
    ToxicityTreatmentInline,
)


class Day30ResponseFilter(admin.SimpleListFilter):
    title = "day-30 response"
    parameter_name = "d30"

    def lookups(self, request, model_admin):
        return [*choices.ResponseStatus.choices, ("none", "Not assessed")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(d30_status=None if self.value() == "none" else self.value())


class YesNoFilter(admin.SimpleListFilter):
    field = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{self.field: self.value() == "yes"})
        return queryset


class PriorTransplantFilter(YesNoFilter):
    title = "prior allo-HCT"
    parameter_name = "prior_allo_hct"
    field = "prior_allo_hct"


class VitalStatusFilter(admin.SimpleListFilter):
    title = "vital status"
    parameter_name = "vital"

    def lookups(self, request, model_admin):
        return [("alive", "Alive"), ("dead", "Died")]

    def queryset(self, request, queryset):
        if self.value() in ("alive", "dead"):
            return queryset.filter(died=self.value() == "dead")
        return queryset


@admin.register(models.Patient)
class PatientAdmin(ScopedPatientAdmin, AuditedAdmin):
    list_display = ["subject_id", "study", "site", "sex", "d30_status", "died"]
    list_filter = [
        ("study", admin.RelatedOnlyFieldListFilter),
        ("site", admin.RelatedOnlyFieldListFilter),
        Day30ResponseFilter,
        PriorTransplantFilter,
        VitalStatusFilter,
    ]
    search_fields = ["subject_id"]
    list_select_related = ["study", "site"]
    readonly_fields = ["age_years", "computed_toxicity"]
    inlines = [
        EligibilityInline,
        GeneticsInline,
        PriorTherapyInline,
        LymphodepletionInline,
        InfusionInline,
        CarTCountInline,
        LabResultInline,
        ToxicityInline,
        ToxicityTreatmentInline,
        DailyAssessmentInline,
        ResponseAssessmentInline,
        FollowUpEventInline,
    ]

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
