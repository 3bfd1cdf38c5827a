"""Each section of the patient page shown, edited, added to and deleted in place.

An htmx request gets the section's card back; a plain request (no JavaScript) gets the card
on a page of its own and, once saved, is sent back to the patient page. Every save locks
the patient and runs in one transaction, so the course rules see a course nobody else is
changing and nothing is half-saved.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from registry import models
from registry.course import deletion_problems
from registry.web import forms
from registry.web.sections import (
    SECTIONS,
    Section,
    card_context,
    form_context,
    live_grades,
    new_form,
    patient_for_page,
    record_of,
)
from registry.web.views import is_htmx


def section_of(name: str, many: bool | None = None) -> Section:
    section = SECTIONS.get(name)
    if section is None or (many is not None and section.many != many):
        raise Http404(f"No section {name!r} here")
    return section


def locked_patient(pk: int) -> models.Patient:
    return get_object_or_404(models.Patient.objects.select_for_update(), pk=pk)


def page_anchor(pk: int, section: Section) -> str:
    return reverse("web:patient-detail", args=[pk]) + f"#section-{section.name}"


def render_card(
    request: HttpRequest, section: Section, pk: int, form=None, item: int | None = None, **extra
) -> HttpResponse:
    patient = patient_for_page(pk)
    card = card_context(section, patient) | extra
    if form is not None:
        card |= form_context(section, patient, form, item)
    context = {"card": card, "patient": patient, "study": patient.study}
    template = "web/sections/card.html" if is_htmx(request) else "web/section_page.html"
    return render(request, template, context)


def changed(request: HttpRequest, section: Section, pk: int, message: str) -> HttpResponse:
    """After a save or delete: the card, and an event that reloads what depends on it."""
    if not is_htmx(request):
        messages.success(request, message)
        return redirect(page_anchor(pk, section))
    response = render_card(request, section, pk, notice=message)
    response["HX-Trigger-After-Settle"] = json.dumps({"courseChanged": {"section": section.name}})
    return response


@login_required
def section_show(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    section = section_of(section)
    if not is_htmx(request):
        return redirect(page_anchor(pk, section))
    return render_card(request, section, pk)


def edit(request: HttpRequest, pk: int, section: Section, item: int | None) -> HttpResponse:
    if request.method != "POST":
        patient = patient_for_page(pk)
        form = new_form(section, patient, record_of(section, patient, item))
        return render_card(request, section, pk, form=form, item=item)
    with transaction.atomic():
        patient = locked_patient(pk)
        record = record_of(section, patient, item)
        form = new_form(section, patient, record, request.POST)
        saved = form.is_valid()
        if saved:
            form.save()
    if saved:
        return changed(request, section, pk, f"{section.title}: saved.")
    return render_card(request, section, pk, form=form, item=item)


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
@require_POST
def section_item_delete(request: HttpRequest, pk: int, section: str, item: int) -> HttpResponse:
    section = section_of(section, many=True)
    with transaction.atomic():
        record = record_of(section, locked_patient(pk), item)
        problems = deletion_problems(record)
        if not problems:
            record.delete()
    if problems:
        return render_card(request, section, pk, problems=problems)
    return changed(request, section, pk, f"{section.title}: {record} deleted.")


@login_required
@require_POST
def assessment_grades(request: HttpRequest, pk: int) -> HttpResponse:
    """The ASTCT grades of the assessment being typed, recomputed as it is typed."""
    patient = get_object_or_404(models.Patient.objects.prefetch_related("infusions"), pk=pk)
    context = live_grades(forms.DailyAssessmentForm(request.POST), patient)
    return render(request, "web/partials/grades.html", context)
