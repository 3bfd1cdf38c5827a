"""Data queries on the pages: the forms of the patient page's queries card (its context is
registry.web.views.patient_detail's), and a study's queries by site, filtered by rule, site,
status and age as in the API (registry.queries.DataQueryFilterSet). The rules are
registry.queries'; a refusal shows as a message."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from registry import access, queries
from registry.models import DataQuery, Patient
from registry.web.filters import DataQueryFilterSet
from registry.web.views import patient_page, study_or_404


def _patient(request: HttpRequest, pk: int) -> Patient:
    patients = access.visible_patients(request.user, Patient.objects.select_related("study"))
    return get_object_or_404(patients, pk=pk)


def _done(request: HttpRequest, patient: Patient, step, done: str, /, **arguments) -> HttpResponse:
    """Run a step of registry.queries (its `arguments` may name the patient again); back to
    the patient's queries card either way, or to the study's patients if the patient went
    meanwhile."""
    try:
        step(user=request.user, **arguments)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(patient_page(patient, "#data-queries"))


def _query_done(
    request: HttpRequest, pk: int, query: int, step, done: str, **arguments
) -> HttpResponse:
    """Run a step of registry.queries on one of the patient's queries (404 if not its)."""
    patient = _patient(request, pk)
    data_query = get_object_or_404(patient.data_queries, pk=query)
    return _done(request, patient, step, done, query=data_query, **arguments)


@login_required
@require_POST
def query_open(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk)
    field = request.POST.get("field", "")
    question = request.POST.get("question", "")
    try:
        query = queries.query_open(
            patient=patient, field=field, question=question, user=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        # What was typed comes back in the form, to be corrected rather than typed again.
        typed = urlencode({"query_field": field, "query_question": question})
        return redirect(patient_page(patient, f"?{typed}#data-queries"))
    messages.success(request, f"Query opened on {query.field_name}.")
    return redirect(patient_page(patient, "#data-queries"))


@login_required
def query_places(request: HttpRequest, pk: int) -> HttpResponse:
    """The options of the query form's list of fields (a datalist, asked for by htmx when
    the field box is first used): every field of the patient's course, with its value."""
    patient = _patient(request, pk)
    if not access.patient_rights(request.user, patient).raise_queries:
        raise PermissionDenied
    places = queries.query_places(patient)
    return render(request, "web/partials/query_places.html", {"places": places})


@login_required
@require_POST
def query_answer(request: HttpRequest, pk: int, query: int) -> HttpResponse:
    answer = request.POST.get("answer", "")
    return _query_done(request, pk, query, queries.query_answer, "Query answered.", answer=answer)


@login_required
@require_POST
def query_close(request: HttpRequest, pk: int, query: int) -> HttpResponse:
    return _query_done(request, pk, query, queries.query_close, "Query closed.")


@login_required
@require_POST
def query_confirm(request: HttpRequest, pk: int, query: int) -> HttpResponse:
    return _query_done(request, pk, query, queries.query_confirm, "Value confirmed as correct.")


PAGE_SIZE = 50


@login_required
def study_queries(request: HttpRequest, code: str) -> HttpResponse:
    """The study's queries by site: by default those open or awaiting the monitor."""
    study = study_or_404(request, code)
    query = request.GET.copy()
    if not query.get("status"):
        query.setdefault("unresolved", "true")
    studied = DataQuery.objects.filter(patient__study=study)
    sites = access.visible_sites(request.user, study.sites.all())
    found = DataQueryFilterSet(query, queryset=studied, sites=sites)
    errors = {} if found.is_valid() else found.errors
    rows = found.qs if not errors else DataQuery.objects.none()
    rows = queries.visible_queries(request.user, rows).select_related("patient__site", "raised_by")
    rows = rows.order_by("patient__site__code", "-raised_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "study": study,
        "filters": found,
        "page": page,
        "data_queries": page.object_list,
        "errors": errors,
        "problems": [(found.form[name].label, text) for name, text in errors.items()],
    }
    return render(request, "web/study_queries.html", context, status=400 if errors else 200)
