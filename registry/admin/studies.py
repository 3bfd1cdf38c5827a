"""Studies and their sites in the admin; a study's page shows its live statistics
(analytics.overview), and its administrators lock and unlock it."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from registry import casebook, models, services
from registry.admin.access import (
    ScopedSiteAdmin,
    ScopedSiteInline,
    ScopedStudyAdmin,
    ScopedStudySettingsInline,
)
from registry.admin.dates import StudyDatesAdmin
from registry.date_formats import date_text
from registry.form_fields import StudyDatesForm
from registry.sections import SECTIONS


class SiteInline(ScopedSiteInline, admin.TabularInline):
    model = models.Site
    extra = 0


class TimepointForm(forms.ModelForm):
    sections = forms.MultipleChoiceField(
        label="Expected sections",
        choices=[(section.key, section.key.replace("_", " ")) for section in SECTIONS],
        widget=forms.CheckboxSelectMultiple,
        help_text="A visit is done when each is recorded: inside the window for those "
        "counted in days, a contact from the window's opening for the events",
    )

    class Meta:
        model = models.Timepoint
        fields = ["name", "target_day", "window_before", "window_after", "sections"]


class TimepointInline(ScopedStudySettingsInline, admin.StackedInline):
    """The follow-up schedule (registry.schedule): each patient's visits follow a change.
    Stacked: a table of its five columns would scroll sideways on a phone."""

    model = models.Timepoint
    form = TimepointForm
    extra = 0


class StudyForm(StudyDatesForm, forms.ModelForm):
    """The study's settings, its cut-off in its own date format."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_date_format(self.instance.date_format)


def required_fields_field(**kwargs) -> forms.MultipleChoiceField:
    """The study's required fields, ticked among every field of a course."""
    return forms.MultipleChoiceField(
        label="Required fields",
        choices=casebook.required_field_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Every patient's casebook needs these: a section missing one is incomplete, "
        "and the casebook cannot be signed. A list of records (infusions, response "
        "assessments) needs one record at least, each with the field filled.",
        **kwargs,
    )


class StudyActionForm(ActionForm):
    reason = forms.CharField(label="Reason:", required=False, max_length=services.REASON_MAX_LENGTH)


@admin.register(models.Study)
class StudyAdmin(ScopedStudyAdmin, StudyDatesAdmin, SimpleHistoryAdmin):
    form = StudyForm
    list_display = ["code", "title", "cutoff", "is_synthetic", "locked_at"]
    search_fields = ["code", "title"]
    inlines = [SiteInline, TimepointInline]
    # Locked and unlocked only by the actions (or manage.py lock_study, unlock_study),
    # which keep the reason in the study's history.
    readonly_fields = ["locked_at"]
    action_form = StudyActionForm
    actions = ["lock", "unlock"]

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    @admin.display(description="data cut-off", ordering="data_cutoff")
    def cutoff(self, study) -> str:
        return date_text(study.data_cutoff, study.date_format) or "—"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "required_fields":
            return required_fields_field(initial=db_field.get_default())
        return super().formfield_for_dbfield(db_field, request, **kwargs)

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
