"""The sections of a patient's course in the admin: inline on the patient's page, checked
with the rest of the submitted course (registry.admin.course), and each listed on its own."""

from django.contrib import admin

from registry import models
from registry.admin.access import ScopedSectionAdmin, ScopedSectionInline
from registry.admin.audit import AuditedAdmin, VersionedForm
from registry.admin.course import CourseFormSet
from registry.analytes import series_unit
from registry.form_fields import ExtramedullarySitesField
from registry.sections import SECTIONS


class SectionInline(ScopedSectionInline):
    """A section on the patient's page, checked with the rest of the submitted course."""

    formset = CourseFormSet
    form = VersionedForm


class EligibilityForm(VersionedForm):
    extramedullary_sites = ExtramedullarySitesField(label="Extramedullary disease sites")

    class Meta:
        model = models.Eligibility
        fields = ["patient", *models.Eligibility.document_fields]


class EligibilityInline(SectionInline, admin.StackedInline):
    model = models.Eligibility
    form = EligibilityForm
    readonly_fields = ["verdict"]

    @admin.display(description="Eligibility verdict")
    def verdict(self, eligibility):
        if not eligibility.pk:
            return "—"
        verdict = eligibility.verdict()
        label = {True: "Eligible", False: "Not eligible", None: "Incomplete"}[verdict.eligible]
        return f"{label}. {'; '.join(verdict.reasons)}".strip()


class GeneticsInline(SectionInline, admin.StackedInline):
    model = models.Genetics


class LymphodepletionInline(SectionInline, admin.StackedInline):
    model = models.Lymphodepletion


class ToxicityInline(SectionInline, admin.StackedInline):
    model = models.ToxicityRecord


class PriorTherapyInline(SectionInline, admin.TabularInline):
    model = models.PriorTherapy
    extra = 0


class InfusionInline(SectionInline, admin.TabularInline):
    model = models.Infusion
    extra = 0
    readonly_fields = ["total_cells"]

    @admin.display(description="total cells")
    def total_cells(self, infusion):
        return f"{infusion.total_cells:.3g}" if infusion.pk else "—"


class CarTCountInline(SectionInline, admin.TabularInline):
    model = models.CarTCount
    extra = 0


class LabResultInline(SectionInline, admin.TabularInline):
    model = models.LabResult
    extra = 0
    readonly_fields = ["converted"]

    @admin.display(description="in the registry's unit")
    def converted(self, lab):
        if not lab.pk:
            return "—"
        return f"{lab.series_value:g} {series_unit(lab.analyte, lab.unit)}"


class ToxicityTreatmentInline(SectionInline, admin.TabularInline):
    model = models.ToxicityTreatment
    extra = 0


class DailyAssessmentInline(SectionInline, admin.TabularInline):
    model = models.DailyAssessment
    extra = 0
    readonly_fields = ["computed_grades"]

    @admin.display(description="computed ASTCT grades")
    def computed_grades(self, assessment):
        if not assessment.pk:
            return "—"
        crs, icans = assessment.crs_grade(), assessment.icans_grade(assessment.patient.age_years)
        return f"CRS {crs.reason}; ICANS {icans.reason}"


class ResponseAssessmentInline(SectionInline, admin.TabularInline):
    model = models.ResponseAssessment
    extra = 0


class FollowUpEventInline(SectionInline, admin.TabularInline):
    model = models.FollowUpEvent
    extra = 0


class SectionAdmin(ScopedSectionAdmin, AuditedAdmin):
    """A section listed on its own, found by the patient's study id."""

    list_select_related = ["patient"]
    search_fields = ["patient__subject_id"]
    raw_id_fields = ["patient"]


for section in SECTIONS:
    admin.site.register(section.model, SectionAdmin)
