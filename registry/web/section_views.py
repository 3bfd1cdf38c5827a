"""Each section of the patient page shown, edited, added to and deleted in place.

An htmx request gets the section's card back; a plain request (no JavaScript) gets the card
on a page of its own and, once saved, is sent back to the patient page. Every save locks
the patient and runs in one transaction, so the course rules see a course nobody else is
changing and nothing is half-saved; it goes through registry.services, with the user's
reason for change and the version of the record the form was opened on.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from registry import access, models, services
from registry.dates import record_name
from registry.web import forms, lab_forms
from registry.web.sections import (
    SECTIONS,
    Section,
    card_context,
    check_can_edit,
    form_context,
    live_grades,
    new_form,
    patient_for_edit,
    patient_for_page,
    record_of,
)
from registry.web.views import is_htmx


def section_of(name: str, many: bool | None = None) -> Section:
    section = SECTIONS.get(name)
    if section is None or (many is not None and section.many != many):
        raise Http404(f"No section {name!r} here")
    return section


def locked_patient(pk: int, user) -> models.Patient:
    """The patient, locked for the change: 404 unless `user` reads it, 403 unless they may
    change it (registry.access)."""
    patients = access.visible_patients(user, models.Patient.objects.select_for_update())
    patient = get_object_or_404(patients, pk=pk)
    check_can_edit(user, patient)
    return patient


def page_anchor(pk: int, section: Section) -> str:
    return reverse("web:patient-detail", args=[pk]) + f"#section-{section.name}"


def render_card(
    request: HttpRequest, section: Section, pk: int, form=None, item: int | None = None, **extra
) -> HttpResponse:
    patient = patient_for_page(pk, request.user)
    card = card_context(section, patient) | extra
    if form is not None:
        card |= form_context(section, patient, form, item)
    context = {
        "card": card,
        "patient": patient,
        "study": patient.study,
        "can_edit": access.can_edit_patient(request.user, patient),
    }
    template = "web/sections/card.html" if is_htmx(request) else "web/section_page.html"
    return render(request, template, context)


def changed(request: HttpRequest, section: Section, pk: int, message: str) -> HttpResponse:
    """After a save or delete: the card, and an event that reloads what depends on it."""
    if not is_htmx(request):
        messages.success(request, message)
        return redirect(page_anchor(pk, section))
    response = render_card(request, section, pk, notice=message)
    events = {"courseChanged": {"section": section.name}}
    # Each other card that shows what the course changes listens for an event of its own:
    # a trigger filter on courseChanged would need eval(), which the CSP forbids.
    events |= {
        f"reload-{other.name}": {}
        for other in SECTIONS.values()
        if other.refreshes and other is not section
    }
    response["HX-Trigger-After-Settle"] = json.dumps(events)
    return response


@login_required
def section_show(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    section = section_of(section)
    if not is_htmx(request):
        get_object_or_404(access.visible_patients(request.user), pk=pk)
        return redirect(page_anchor(pk, section))
    return render_card(request, section, pk)


def edit(request: HttpRequest, pk: int, section: Section, item: int | None) -> HttpResponse:
    user = request.user
    if request.method != "POST":
        patient = patient_for_edit(pk, user)
        record = record_of(section, patient, item)
        form = new_form(section, patient, record, user=user)
        change = forms.ChangeForm(record=record)
        return render_card(request, section, pk, form=form, item=item, change=change)
    with transaction.atomic():
        patient = locked_patient(pk, user)
        record = record_of(section, patient, item)
        form = new_form(section, patient, record, request.POST, user=user)
        change = forms.ChangeForm(request.POST, record=record)
        saved = save_change(form, change, request.user)
    if saved:
        return changed(request, section, pk, saved_message(section, form))
    return render_card(request, section, pk, form=form, item=item, change=change)


def saved_message(section: Section, form) -> str:
    if isinstance(form, lab_forms.LabDayForm):
        count = len(form.entered_rows())
        day = form.cleaned_data["day"]
        return f"{section.title}: {count} value{'s' if count > 1 else ''} of day {day} saved."
    return f"{section.title}: saved."


def save_change(form, change: forms.ChangeForm, user) -> bool:
    """Save the form's record through registry.services; a refusal shows on the forms,
    with everything the user typed (an edit conflict too: nothing typed is lost)."""
    if isinstance(form, lab_forms.LabDayForm):
        return save_lab_day(form, change, user)
    if not all([form.is_valid(), change.is_valid()]):
        return False
    return written(services.record_save, form.instance, change, user, shown_on=form)


def save_lab_day(form: lab_forms.LabDayForm, change: forms.ChangeForm, user) -> bool:
    """Save each value of a day's form through registry.services, all or none: a value
    refused rolls back those saved before it, and the form says which were refused."""
    if not all([form.rows_valid(), change.is_valid()]):
        form.check_rows_taken()
        form.say_refused()
        return False
    with transaction.atomic():
        try:
            form.patient.study.check_unlocked()
        except ValidationError as error:
            form.add_error(None, error)
            return False
        for row in form.entered_rows():
            try:
                services.record_save(
                    record=row.lab_result(form.patient, form.cleaned_data["day"]),
                    user=user,
                    reason=change.cleaned_data["change_reason"],
                )
            except ValidationError as error:
                row.refused(error)
        if form.refused_rows():
            transaction.set_rollback(True)
            form.say_refused()
            return False
    return True


def refused(form, change: forms.ChangeForm, error: ValidationError) -> None:
    """Show a refusal: one about the reason beside its field, any other on `form`."""
    about_reason = services.REASON_FIELD in getattr(error, "error_dict", {})
    (change if about_reason else form).add_error(None, error)


@login_required
def section_edit(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    """The patient's own fields or a one-to-one section."""
    return edit(request, pk, section_of(section, many=False), None)


@login_required
def section_add(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    return edit(request, pk, section_of(section, many=True), None)


@login_required
def section_item_edit(request: HttpRequest, pk: int, section: str, item: int) -> HttpResponse:
    return edit(request, pk, section_of(section, many=True), item)


@login_required
def section_item_delete(request: HttpRequest, pk: int, section: str, item: int) -> HttpResponse:
    """Asks for the reason, then deletes the record unless the course stands on it."""
    section = section_of(section, many=True)
    if request.method != "POST":
        record = record_of(section, patient_for_edit(pk, request.user), item)
        change = forms.ChangeForm(record=record)
        return render_card(request, section, pk, deleting=record, change=change)
    with transaction.atomic():
        record = record_of(section, locked_patient(pk, request.user), item)
        change = forms.ChangeForm(request.POST, record=record)
        deleted = change.is_valid() and delete_change(record, change, request.user)
    if deleted:
        name = record_name(record, change.date_format)
        return changed(request, section, pk, f"{section.title}: {name} deleted.")
    return render_card(request, section, pk, deleting=record, change=change)


def delete_change(record, change: forms.ChangeForm, user) -> bool:
    return written(services.record_delete, record, change, user, shown_on=change)


def written(write, record, change: forms.ChangeForm, user, *, shown_on) -> bool:
    """Whether `write` (registry.services' record_save or record_delete) took the record,
    with the change's reason and version; a refusal shows on `shown_on` and the change."""
    try:
        write(
            record=record,
            user=user,
            reason=change.cleaned_data["change_reason"],
            version=change.cleaned_data["version"],
        )
    except ValidationError as error:
        refused(shown_on, change, error)
        return False
    return True


@login_required
@require_POST
def assessment_grades(request: HttpRequest, pk: int) -> HttpResponse:
    """The ASTCT grades of the assessment being typed, recomputed as it is typed."""
    patients = models.Patient.objects.prefetch_related("infusions")
    patient = get_object_or_404(access.visible_patients(request.user, patients), pk=pk)
    check_can_edit(request.user, patient)
    live = live_grades(forms.DailyAssessmentForm(request.POST), patient)
    return render(request, "web/partials/grades.html", {"live": live})


@login_required
@require_POST
def lab_icaht(request: HttpRequest, pk: int) -> HttpResponse:
    """The ICAHT grades with the ANC being typed into a day's lab values."""
    patient = patient_for_edit(pk, request.user)
    form = lab_forms.LabDayForm(request.POST, patient=patient)
    icaht = patient.computed_icaht(lab_forms.typed_anc(form))
    return render(request, "web/partials/icaht.html", {"icaht": icaht, "live": True})


@login_required
@require_POST
def lab_value_icaht(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """The ICAHT grades with a stored ANC value, selected on the lab grid, as it is being
    changed: in place of its stored value."""
    patient = patient_for_edit(pk, request.user)
    form = lab_forms.LabResultForm(request.POST, instance=get_object_or_404(patient.labs, pk=item))
    icaht = patient.computed_icaht(lab_forms.typed_value_anc(form), leaving_out=item)
    return render(request, "web/partials/icaht.html", {"icaht": icaht, "live": True})
