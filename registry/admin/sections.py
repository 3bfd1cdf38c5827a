"""The sections of a patient's course in the admin: inline on the patient's page, checked
with the rest of the submitted course (registry.admin.course), and each listed on its own."""

from django.contrib import admin
from django.utils.text import capfirst

from registry import models
from registry.admin.access import ScopedSectionAdmin, ScopedSectionInline
from registry.admin.audit import AuditedAdmin, VersionedForm
from registry.admin.course import CourseFormSet
from registry.admin.dates import StudyDatesAdmin
from registry.admin.display import saved_record_display
from registry.analytes import series_unit
from registry.dates import record_name
from registry.form_fields import ExtramedullarySitesField
from registry.sections import SECTIONS, CourseSection


class SectionInline(ScopedSectionInline, StudyDatesAdmin):
    """A section on the patient's page, checked with the rest of the submitted course."""

    formset = CourseFormSet
    form = VersionedForm


# Django's inline templates, with each record titled as it is stored (the form's
# `saved_name`), not as typed into a submission that was refused, its date in the
# study's format.
class ListInline(SectionInline, admin.TabularInline):
    """A section with a list of records: a row each, and none empty until one is added."""

    template = "admin/registry/edit_inline/tabular.html"
    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A row's boxes have no label of their own, only the column's heading: each is
        # named by it for a screen reader.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and field.label:
            field.widget.attrs.setdefault("aria-label", capfirst(field.label))
        return field


class OneRecordInline(SectionInline, admin.StackedInline):
    """A section with one record at the most."""

    template = "admin/registry/edit_inline/stacked.html"


class EligibilityForm(VersionedForm):
    extramedullary_sites = ExtramedullarySitesField(label="Extramedullary disease sites")

    class Meta:
        model = models.Eligibility
        fields = ["patient", *models.Eligibility.document_fields]


class EligibilityInline(OneRecordInline):
    model = models.Eligibility
    form = EligibilityForm
    readonly_fields = ["verdict"]

    @saved_record_display("Eligibility verdict")
    def verdict(self, eligibility):
        verdict = eligibility.verdict()
        return f"{verdict.label}. {'; '.join(verdict.reasons)}".strip()


class InfusionInline(ListInline):
    model = models.Infusion
    readonly_fields = ["total_cells"]

    @saved_record_display("total cells")
    def total_cells(self, infusion):
        return f"{infusion.total_cells:.3g}"


class LabResultInline(ListInline):
    model = models.LabResult
    readonly_fields = ["converted"]

    @saved_record_display("in the registry's unit")
    def converted(self, lab):
        return f"{lab.series_value:g} {series_unit(lab.analyte, lab.unit)}"


class DailyAssessmentInline(ListInline):
    model = models.DailyAssessment
    readonly_fields = ["computed_grades"]

    @saved_record_display("computed ASTCT grades")
    def computed_grades(self, assessment):
        crs, icans = assessment.crs_grade(), assessment.icans_grade(assessment.patient.age_years)
        return f"CRS {crs.reason}; ICANS {icans.reason}"


# The inlines with something of their own; every other section's is made from the table.
OWN_INLINES = {
    "eligibility": EligibilityInline,
    "infusions": InfusionInline,
    "labs": LabResultInline,
    "daily_assessments": DailyAssessmentInline,
}


def section_inline(section: CourseSection) -> type[SectionInline]:
    if section.key in OWN_INLINES:
        return OWN_INLINES[section.key]
    base = ListInline if section.many else OneRecordInline
    return type(f"{section.model_name}Inline", (base,), {"model": section.model})


# On the patient's page in a cohort document's order.
SECTION_INLINES = [section_inline(section) for section in SECTIONS]


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
