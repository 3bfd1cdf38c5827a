"""What every change page of the admin shares: a change form that asks for the reason for
change and carries the version it was opened on, saves and deletes through
registry.services, and a history (django-simple-history) that is shown but not edited,
nothing reverted from it."""

from datetime import date, datetime

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from registry import services
from registry.admin.access import record_pk
from registry.admin.dates import StudyDatesAdmin
from registry.date_formats import date_text, moment_text
from registry.dates import date_format_of, date_format_of_stored, quoted_in, record_name
from registry.form_fields import StudyDatesForm


class VersionedForm(StudyDatesForm, forms.ModelForm):
    """Carries the version of the record it was opened on: a save over a newer one is refused.

    Dates are in the study's format: `date_format` where the form's record may not know its
    study yet (a new record of an inline, registry.admin.course), else the record's.
    """

    # Not named `version`: the admin refuses a form field named after a non-editable one.
    record_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, date_format: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_version"].initial = self.instance.version
        self.use_date_format(date_format or date_format_of(self.instance))

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            services.check_version(self.instance, cleaned.get("record_version"))
        return cleaned


def reason_field() -> forms.CharField:
    """Why a saved record changes or goes, which its history keeps (services.REASON_FIELD)."""
    return forms.CharField(
        label="Reason for change",
        max_length=services.REASON_MAX_LENGTH,
        error_messages={"required": services.REASON_REQUIRED},
        help_text="Kept in the history of every record this page changes or deletes",
    )


class ChangeReasonForm(VersionedForm):
    """A change form: asks why a saved record changes (optional when adding one)."""

    change_reason = reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change_reason"].required = self.instance.pk is not None


class StudyDatesHistory(HistoricalRecordContextHelper):
    """The changes of a version on a history page, its dates in the study's format."""

    def __init__(self, *args, date_format: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.date_format = date_format

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, datetime):
            return moment_text(value, self.date_format)
        return date_text(value, self.date_format) if isinstance(value, date) else value


class AuditedAdmin(StudyDatesAdmin, SimpleHistoryAdmin):
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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The page, or where another user's change won a race with this one: the record, or
        its patient, changed or deleted after the page's checks read them (which refused it
        had they seen it). Nothing of the change is saved: Django's admin writes the page in
        one transaction; the user is told why, as the checks would have told them."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.EditConflict as conflict:
            refusal = conflict
        except ObjectDoesNotExist:
            # The checks read the patient, deleted since the record was read: the record went
            # with it. Anything else missing is not a race this page knows of.
            pk = unquote(object_id) if object_id else None
            if pk is None or self.model._default_manager.filter(pk=pk).exists():
                raise
            refusal = services.EditConflict(self.model, pk)
        return self._refused(request, object_id, refusal)

    def _refused(self, request, object_id, refusal: services.EditConflict):
        """Back to the page with the refusal, its moment in the study's format; to the list
        if the page's record went."""
        words = quoted_in(refusal, date_format_of_stored(refusal.model, refusal.pk))
        self.message_user(request, f"Not saved: {words.messages[0]}", messages.ERROR)
        went = object_id is not None and not (
            self.model._default_manager.filter(pk=unquote(object_id)).exists()
        )
        if went:
            opts = self.opts
            return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        return redirect(request.path)

    def delete_model(self, request, obj) -> None:
        reason = request.POST.get(services.REASON_FIELD, "")
        try:
            services.record_delete(record=obj, user=request.user, reason=reason)
        except ValidationError as error:
            raise quoted_in(error, date_format_of(obj)) from None

    def delete_view(self, request, object_id, extra_context=None):
        reason = forms.Form(auto_id="id_%s")
        reason.fields[services.REASON_FIELD] = reason_field()
        extra_context = {**(extra_context or {}), "reason": reason[services.REASON_FIELD]}
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, f"Not deleted: {message}", messages.ERROR)
            return redirect(request.path)

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_view(self, request, object_id, extra_context=None):
        # Every version on the page is of one record, of one study: its format is read once,
        # for the names of the versions and the values of their changes. A deleted record's
        # history (ScopedAdmin.history_view lets a superuser read it) is in the format of the
        # study it was in.
        pk = record_pk(self.model, object_id)
        request.date_format = date_format_of_stored(self.model, pk)
        return super().history_view(request, object_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return StudyDatesHistory(self.model, historical_record, date_format=request.date_format)

    def render_history_view(self, request, template, context, **kwargs):
        page = context.get("page_obj")
        if page is not None:
            for version in page.object_list:
                # simple-history's list names each version by its `history_object` and
                # writes its `history_date` as it is given.
                version.history_object = record_name(version.history_object, request.date_format)
                version.history_date = moment_text(version.history_date, request.date_format)
        return super().render_history_view(request, template, context, **kwargs)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version is shown, never saved back: that would be a change without a reason.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
