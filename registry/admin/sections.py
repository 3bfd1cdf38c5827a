"""The sections of a patient's course in the admin: inline on the patient's page, checked
with the rest of the submitted course (registry.admin.course), and each listed on its own."""

from django.contrib import admin

from registry import models
from registry.admin.access import ScopedSectionAdmin, ScopedSectionInline
from registry.admin.audit import AuditedAdmin, VersionedForm
from registry.admin.course import CourseFormSet
from registry.admin.dates import StudyDatesAdmin
from registry.analytes import series_unit
from registry.dates import record_name
from registry.form_fields import ExtramedullarySitesField
from registry.sections import SECTIONS


class SectionInline(ScopedSectionInline, StudyDatesAdmin):
    """A section on the patient's page, checked with the rest of the submitted course."""

    formset = CourseFormSet
    form = VersionedForm


# Django's inline templates, with each record titled as it is stored (the form's
# `saved_name`), not as typed into a submission that was refused, its date in the
# study's format.
class StackedSectionInline(SectionInline, admin.StackedInline):
    template = "admin/registry/edit_inline/stacked.html"


class TabularSectionInline(SectionInline, admin.TabularInline):
    template = "admin/registry/edit_inline/tabular.html"
    extra = 0


class EligibilityForm(VersionedForm):
    extramedullary_sites = ExtramedullarySitesField(label="Extramedullary disease sites")

    class Meta:
        model = models.Eligibility
        fields = ["patient", *models.Eligibility.document_fields]


class EligibilityInline(StackedSectionInline):
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


class GeneticsInline(StackedSectionInline):
    model = models.Genetics


class LymphodepletionInline(StackedSectionInline):
    model = models.Lymphodepletion


class ToxicityInline(StackedSectionInline):
    model = models.ToxicityRecord


class PriorTherapyInline(TabularSectionInline):
    model = models.PriorTherapy


class InfusionInline(TabularSectionInline):
    model = models.Infusion
    readonly_fields = ["total_cells"]

    @admin.display(description="total cells")
    def total_cells(self, infusion):
        return f"{infusion.total_cells:.3g}" if infusion.pk else "—"


class CarTCountInline(TabularSectionInline):
    model = models.CarTCount


class LabResultInline(TabularSectionInline):
    model = models.LabResult
    readonly_fields = ["converted"]

    @admin.display(description="in the registry's unit")
    def converted(self, lab):
        if not lab.pk:
            return "—"
        return f"{lab.series_value:g} {series_unit(lab.analyte, lab.unit)}"


class ToxicityTreatmentInline(TabularSectionInline):
    model = models.ToxicityTreatment


class DailyAssessmentInline(TabularSectionInline):
    model = models.DailyAssessment
    readonly_fields = ["computed_grades"]

    @admin.display(description="computed ASTCT grades")
    def computed_grades(self, assessment):
        if not assessment.pk:
            return "—"
        crs, icans = assessment.crs_grade(), assessment.icans_grade(assessment.patient.age_years)
        return f"CRS {crs.reason}; ICANS {icans.reason}"


class ResponseAssessmentInline(TabularSectionInline):
    model = models.ResponseAssessment


class FollowUpEventInline(TabularSectionInline):
    model = models.FollowUpEvent


class SectionAdmin(ScopedSectionAdmin, AuditedAdmin):
    """A section listed on its own, found by the patient's study id."""

    list_display = ["name"]
    list_select_related = ["patient__study"]
    search_fields = ["patient__subject_id"]
    raw_id_fields = ["patient"]

    @admin.display(description="record")
    def name(self, record) -> str:
        return record_name(record, record.patient.study.date_format)


for section in SECTIONS:
    admin.site.register(section.model, SectionAdmin)
