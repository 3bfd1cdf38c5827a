"""Coordinators' data entry: one patient on one page, with every section inline."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html_join

from registry import choices, models
from registry.admin_course import CourseCheck, CourseFormSet
from registry.course import deletion_problems
from registry.selectors import patients_with_status


class ExtramedullarySitesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(choices=choices.ExtramedullarySite.choices, required=False, **kwargs)


class EligibilityForm(forms.ModelForm):
    extramedullary_sites = ExtramedullarySitesField(label="Extramedullary disease sites")

    class Meta:
        model = models.Eligibility
        fields = ["patient", *models.Eligibility.document_fields]


class EligibilityInline(admin.StackedInline):
    model = models.Eligibility
    formset = CourseFormSet
    form = EligibilityForm
    readonly_fields = ["verdict"]

    @admin.display(description="Eligibility verdict")
    def verdict(self, eligibility):
        if not eligibility.pk:
            return "—"
        verdict = eligibility.verdict()
        label = {True: "Eligible", False: "Not eligible", None: "Incomplete"}[verdict.eligible]
        return f"{label}. {'; '.join(verdict.reasons)}".strip()


class GeneticsInline(admin.StackedInline):
    model = models.Genetics
    formset = CourseFormSet


class LymphodepletionInline(admin.StackedInline):
    model = models.Lymphodepletion
    formset = CourseFormSet


class ToxicityInline(admin.StackedInline):
    model = models.ToxicityRecord
    formset = CourseFormSet


class PriorTherapyInline(admin.TabularInline):
    model = models.PriorTherapy
    formset = CourseFormSet
    extra = 0


class InfusionInline(admin.TabularInline):
    model = models.Infusion
    formset = CourseFormSet
    extra = 0
    readonly_fields = ["total_cells"]

    @admin.display(description="total cells")
    def total_cells(self, infusion):
        return f"{infusion.total_cells:.3g}" if infusion.pk else "—"


class CarTCountInline(admin.TabularInline):
    model = models.CarTCount
    formset = CourseFormSet
    extra = 0


class DailyAssessmentInline(admin.TabularInline):
    model = models.DailyAssessment
    formset = CourseFormSet
    extra = 0
    readonly_fields = ["computed_grades"]

    @admin.display(description="computed ASTCT grades")
    def computed_grades(self, assessment):
        if not assessment.pk:
            return "—"
        crs, icans = assessment.crs_grade(), assessment.icans_grade(assessment.patient.age_years)
        return f"CRS {crs.reason}; ICANS {icans.reason}"


class ResponseAssessmentInline(admin.TabularInline):
    model = models.ResponseAssessment
    formset = CourseFormSet
    extra = 0


class FollowUpEventInline(admin.TabularInline):
    model = models.FollowUpEvent
    formset = CourseFormSet
    extra = 0


class Day30ResponseFilter(admin.SimpleListFilter):
    title = "day-30 response"
    parameter_name = "d30"

    def lookups(self, request, model_admin):
        return [*choices.ResponseStatus.choices, ("none", "Not assessed")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(d30_status__isnull=True)
        if self.value():
            return queryset.filter(d30_status=self.value())
        return queryset


class YesNoFilter(admin.SimpleListFilter):
    annotation = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{self.annotation: self.value() == "yes"})
        return queryset


class PriorTransplantFilter(YesNoFilter):
    title = "prior allo-HCT"
    parameter_name = "prior_allo_hct"
    annotation = "prior_allo_hct"


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
class PatientAdmin(admin.ModelAdmin):
    list_display = ["subject_id", "study", "site", "sex", "d30_status", "died"]
    list_filter = [
        "study",
        "site",
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
        ToxicityInline,
        DailyAssessmentInline,
        ResponseAssessmentInline,
        FollowUpEventInline,
    ]

    def get_queryset(self, request):
        return patients_with_status(super().get_queryset(request))

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "POST":
            if getattr(request, "course_check", None) is None:
                request.course_check = CourseCheck(obj)
            kwargs["course_check"] = request.course_check
        return kwargs

    @admin.display(description="day-30 response")
    def d30_status(self, patient):
        return choices.ResponseStatus(patient.d30_status).label if patient.d30_status else "—"

    @admin.display(description="died", boolean=True)
    def died(self, patient):
        return patient.died

    @admin.display(description="computed maximum grades")
    def computed_toxicity(self, patient):
        if not patient.pk:
            return "—"
        crs, icans = patient.computed_grades()
        lines = [(f"CRS {crs.reason}",), (f"ICANS {icans.reason}",)]
        lines += [(f"Discrepancy — {text}",) for text in patient.grade_discrepancies()]
        return format_html_join("", "<div>{}</div>", lines)


class SiteInline(admin.TabularInline):
    model = models.Site
    extra = 0


@admin.register(models.Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "data_cutoff", "is_synthetic"]
    search_fields = ["code", "title"]
    inlines = [SiteInline]


@admin.register(models.Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "study"]
    list_filter = ["study"]
    search_fields = ["code", "name"]


class SectionAdmin(admin.ModelAdmin):
    """A section listed on its own, found by the patient's study id."""

    list_select_related = ["patient"]
    search_fields = ["patient__subject_id"]
    raw_id_fields = ["patient"]

    def get_actions(self, request):
        # Records are deleted one at a time, each checked against the rest of its course.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        record = self.get_object(request, object_id)
        problems = deletion_problems(record) if record and request.method == "POST" else []
        if problems:
            for problem in problems:
                self.message_user(request, f"Not deleted: {problem}", messages.ERROR)
            return redirect(reverse(admin_urlname(self.opts, "change"), args=[object_id]))
        return super().delete_view(request, object_id, extra_context)


for section in (
    models.Eligibility,
    models.Genetics,
    models.PriorTherapy,
    models.Lymphodepletion,
    models.Infusion,
    models.CarTCount,
    models.ToxicityRecord,
    models.DailyAssessment,
    models.ResponseAssessment,
    models.FollowUpEvent,
):
    admin.site.register(section, SectionAdmin)
