"""The casebook on the pages: the patient page's casebook card (each section's status, the
required data missing, verification and signature) and a study's completeness of required
data by site, with its patients missing some (/studies/CODE/completeness/). The rules are
registry.casebook's; a refusal shows as a message naming what was refused."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from registry import access, casebook, completeness
from registry.models import Patient
from registry.sections import section_title
from registry.site_filters import site_named
from registry.web.views import patient_page, study_or_404

PAGE_SIZE = 25


def _patient(request: HttpRequest, pk: int) -> Patient:
    patients = access.visible_patients(request.user, Patient.objects.select_related("study"))
    return get_object_or_404(patients, pk=pk)


def _done(request: HttpRequest, patient: Patient, step, done: str, **arguments) -> HttpResponse:
    try:
        step(patient=patient, user=request.user, **arguments)
    except (PermissionDenied, ValidationError) as refused:
        words = refused.messages if isinstance(refused, ValidationError) else [str(refused)]
        messages.error(request, " ".join(words))
    else:
        messages.success(request, done)
    return redirect(patient_page(patient, "#casebook"))


@login_required
@require_POST
def section_verify(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    patient = _patient(request, pk)
    title = section_title(section)
    return _done(request, patient, casebook.section_verify, f"{title} verified.", section=section)


@login_required
@require_POST
def casebook_sign(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk)
    password = request.POST.get("password", "")
    return _done(request, patient, casebook.casebook_sign, "Casebook signed.", password=password)


@login_required
def study_completeness(request: HttpRequest, code: str) -> HttpResponse:
    """The completeness of required data at the user's sites, and a site's patients with
    required data missing."""
    study = study_or_404(request, code)
    sites = access.visible_sites(request.user, study.sites.all())
    code_given = request.GET.get("site", "")
    # Read once, for the three reads below (registry.completeness).
    chosen, site_error = list(sites), ""
    if code_given:
        try:
            chosen = [site_named(chosen, code_given)]
        except ValidationError as refused:
            chosen, site_error = [], refused.messages[0]
    missing = completeness.patients_missing_data(study, chosen).select_related("site")
    context = {
        "study": study,
        "sites": sites.order_by("code"),
        "chosen_site": code_given,
        "site_error": site_error,
        "figures": completeness.site_figures(study, chosen),
        "section_figures": completeness.section_figures(study, chosen),
        "page": Paginator(missing, PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "web/study_completeness.html", context)
