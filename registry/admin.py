"""Coordinators' data entry: one patient on one page, with every section inline; and the
study roles, given and taken away by each study's administrators.

Each page shows and changes only what the user's study roles allow (registry.admin_access).

Every save and delete goes through registry.services: a change form asks for the reason
for change and carries the version it was opened on; the history of each record is shown
(django-simple-history) but cannot be edited, and nothing is reverted from it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from registry import access, choices, models, services
from registry.admin_access import (
    ScopedMembershipAdmin,
    ScopedPatientAdmin,
    ScopedSectionAdmin,
    ScopedSectionInline,
    ScopedSiteAdmin,
    ScopedSiteInline,
    ScopedStudyAdmin,
)
from registry.admin_course import CourseCheck, CourseFormSet
from registry.admin_tokens import ExpiringAuthTokenAdmin  # noqa: F401  (registered there)
from registry.analytes import series_unit
from registry.form_fields import ExtramedullarySitesField
from registry.sections import SECTIONS


class VersionedForm(forms.ModelForm):
    """Carries the version of the record it was opened on: a save over a newer one is refused."""

    # Not named `version`: the admin refuses a form field named after a non-editable one.
    record_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            services.check_version(self.instance, cleaned.get("record_version"))
        return cleaned


class ChangeReasonForm(VersionedForm):
    """A change form: asks why a saved record changes (optional when adding one)."""

    change_reason = forms.CharField(
        label="Reason for change",
        max_length=services.REASON_MAX_LENGTH,
        error_messages={"required": services.REASON_REQUIRED},
        help_text="Kept in the history of every record this page changes or deletes",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change_reason"].required = self.instance.pk is not None


class AuditedAdmin(SimpleHistoryAdmin):
    """Saves and deletes through registry.services; the history is read-only."""

    form = ChangeReasonForm
    delete_confirmation_template = "admin/registry/delete_confirmation.html"

    def get_actions(self, request):
        # Records are deleted one at a time, each with its reason (and, for a section,
        # checked against the rest of its course).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change) -> None:
        # The form, with the page's inlines (CourseCheck), validated the submission whole.
        services.record_save(
            record=obj,
            user=request.user,
            reason=form.cleaned_data.get(services.REASON_FIELD, ""),
            version=form.cleaned_data.get("record_version"),
            clean=False,
        )

    def delete_model(self, request, obj) -> None:
        reason = request.POST.get(services.REASON_FIELD, "")
        services.record_delete(record=obj, user=request.user, reason=reason)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, f"Not deleted: {message}", messages.ERROR)
            return redirect(request.path)

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version is shown, never saved back: that would be a change without a reason.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


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


class SiteInline(ScopedSiteInline, admin.TabularInline):
    model = models.Site
    extra = 0


class StudyActionForm(ActionForm):
    reason = forms.CharField(label="Reason:", required=False, max_length=services.REASON_MAX_LENGTH)


@admin.register(models.Study)
class StudyAdmin(ScopedStudyAdmin, SimpleHistoryAdmin):
    list_display = ["code", "title", "data_cutoff", "is_synthetic", "locked_at"]
    search_fields = ["code", "title"]
    inlines = [SiteInline]
    # Locked and unlocked only by the actions (or manage.py lock_study, unlock_study),
    # which keep the reason in the study's history.
    readonly_fields = ["locked_at"]
    action_form = StudyActionForm
    actions = ["lock", "unlock"]

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # analytics imports registry: imported here, not at the top, to keep that one way.
        # A callable, so that the statistics are computed only where the page shows them.
        from analytics.overview import study_overview

        study = self.get_object(request, object_id)
        if study is not None:
            extra_context = (extra_context or {}) | {
                "study_overview": lambda: study_overview(study, request.user)
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Lock the selected studies", permissions=["change"])
    def lock(self, request, queryset) -> None:
        self._each(request, queryset, services.study_lock, "locked")

    @admin.action(
        description="Unlock the selected studies (give the reason)", permissions=["change"]
    )
    def unlock(self, request, queryset) -> None:
        self._each(request, queryset, services.study_unlock, "unlocked")

    def _each(self, request, queryset, change, done: str) -> None:
        reason = request.POST.get("reason", "")
        for study in queryset:
            if not self.has_change_permission(request, study):
                message = f"Study {study.code}: only its administrators lock and unlock it."
                self.message_user(request, message, messages.ERROR)
                continue
            try:
                change(study=study, user=request.user, reason=reason)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, f"Study {study.code} {done}.", messages.SUCCESS)


@admin.register(models.Site)
class SiteAdmin(ScopedSiteAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "study"]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name"]


class SectionAdmin(ScopedSectionAdmin, AuditedAdmin):
    """A section listed on its own, found by the patient's study id."""

    list_select_related = ["patient"]
    search_fields = ["patient__subject_id"]
    raw_id_fields = ["patient"]


for section in SECTIONS:
    admin.site.register(section.model, SectionAdmin)


class MembershipForm(forms.ModelForm):
    """A user's role in a study, refused where registry.access.membership_check refuses it."""

    class Meta:
        model = models.Membership
        fields = ["user", "study", "role", "sites"]
        widgets = {"sites": forms.CheckboxSelectMultiple}
        help_texts = {
            "role": "A clinician enters and sees the patients of the sites ticked below only; "
            "coordinators, monitors and study administrators work at every site of the study.",
            "sites": "For a clinician, tick one site of the study at least. For the other "
            "roles, tick none.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sites = self.fields.get("sites")  # not there when the page is read-only
        if sites is not None:
            sites.queryset = sites.queryset.select_related("study")
            sites.label_from_instance = lambda site: f"{site.study.code}: {site.code} ({site})"

    def clean(self):
        cleaned = super().clean()
        # On a role already given, the user and the study are shown, not edited.
        study = cleaned.get("study") or (self.instance.study if self.instance.study_id else None)
        if study is not None and cleaned.get("role"):
            access.membership_check(
                study=study, role=cleaned["role"], sites=cleaned.get("sites") or []
            )
        return cleaned


def role_at(role: str, sites) -> str:
    """A role as the admin's log keeps it, e.g. "clinician at BOREN, PUMC"."""
    if role != models.Role.CLINICIAN:
        return f"{role} at every site"
    return f"{role} at {', '.join(sorted(site.code for site in sites))}"


@admin.register(models.Membership)
class MembershipAdmin(ScopedMembershipAdmin, admin.ModelAdmin):
    """Who holds which role in each study. Deleting a role revokes it."""

    form = MembershipForm
    list_display = ["user", "study", "role", "site_codes"]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter), "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "study"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sites")

    def get_readonly_fields(self, request, obj=None):
        # A role is changed in place; another user or study is another role.
        return ["user", "study"] if obj is not None else []

    def construct_change_message(self, request, form, formsets, add=False) -> str:
        """What the role is now and, on a change, what it was: the admin's log keeps it."""
        now = role_at(form.cleaned_data["role"], form.cleaned_data["sites"])
        if add:
            return f"Granted: {now}"
        return f"Changed: {role_at(form.initial['role'], form.initial['sites'])} → {now}"

    @admin.display(description="sites")
    def site_codes(self, membership) -> str:
        if membership.role != models.Role.CLINICIAN:
            return "every site"
        return ", ".join(sorted(site.code for site in membership.sites.all()))
