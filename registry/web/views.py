"""Pages: study picker, patient list, enrolment and the patient page."""

from collections import defaultdict
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from registry import access, data_version, history, models, services
from registry.dates import iso_dates
from registry.eligibility import Verdict
from registry.paging import CountedPaginator, kept_count
from registry.patient_filters import (
    DATE_FILTERS,
    FILTERS_READ,
    filters_read,
    given_filters,
    with_query,
)
from registry.web import forms
from registry.web.casebook_card import casebook_context
from registry.web.filters import PatientFilterSet
from registry.web.sections import (
    SECTIONS,
    card_context,
    murine_cart_count,
    patient_for_edit,
    patient_for_page,
    typed_verdict,
)
from registry.web.sort_columns import Column, sort_links
from registry.web.status import response_label, status_badges
from registry.web.timeline import patient_timeline
from registry.web.visits import patient_schedule

PAGE_SIZE = 25


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def studies_of(user) -> QuerySet[models.Study]:
    """The studies the user has a role in, each with `can_enrol`: whether the user enters
    data at one of its sites or more, and `can_export`: whether the user downloads it whole
    (registry.access)."""
    return access.visible_studies(user).annotate(
        can_enrol=Exists(access.editable_sites(user).filter(study=OuterRef("pk"))),
        can_export=Exists(access.exportable_studies(user).filter(pk=OuterRef("pk"))),
    )


def study_or_404(request: HttpRequest, code: str) -> models.Study:
    return get_object_or_404(studies_of(request.user), code=code)


def patient_page(patient: models.Patient, anchor: str) -> str:
    """The address of a part of the patient's page; of its study's patient list when another
    user deleted the patient meanwhile, where a refused step says so."""
    if not models.Patient.objects.filter(pk=patient.pk).exists():
        return reverse("web:patient-list", args=[patient.study.code])
    return reverse("web:patient-detail", args=[patient.pk]) + anchor


def study_to_enrol_in(request: HttpRequest, code: str) -> models.Study:
    study = study_or_404(request, code)
    if not study.can_enrol:
        raise PermissionDenied
    return study


@login_required
def study_list(request: HttpRequest) -> HttpResponse:
    # A site is shown, and its patients counted, where the user reads its patients.
    seen = access.visible_sites(request.user)
    sites = seen.annotate(patient_count=Count("patients"))
    studies = (
        studies_of(request.user)
        .annotate(patient_count=Count("patients", filter=Q(patients__site__in=seen)))
        .prefetch_related(Prefetch("sites", queryset=sites))
    )
    return render(request, "web/study_list.html", {"studies": studies})


COLUMNS = [
    Column("Study id", "subject_id"),
    Column("Site", "site"),
    Column("Sex", css="wide"),
    Column("Age", css="num"),
    Column("Enrolled", "enrollment_date"),
    Column("First infusion", css="wide"),
    Column("Day-30 response", "d30"),
    Column("Last contact", "last_contact_date"),
    Column("Status"),
]


@login_required
def patient_list(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request, code)
    sites = access.visible_sites(request.user, study.sites.all())
    # In the order of patient_list_idx (study, study id, site, id), the sites given as a
    # list of ids: PostgreSQL finds a page's ids in that index alone, as for the API's list
    # (PatientViewSet.page_found). Ordering by the study's code (Patient.Meta.ordering)
    # would sort the whole study for each page.
    site_ids = [site.pk for site in sites]  # read once, for the site filter's choices too
    patients = study.patients.filter(site__in=site_ids).order_by("study_id", "subject_id")
    filters = PatientFilterSet(
        request.GET, queryset=patients, sites=sites, date_format=study.date_format
    )
    count = patient_count(study, site_ids, request.GET, filters.qs.count)
    found = CountedPaginator(filters.qs.values_list("pk", flat=True), PAGE_SIZE, count=count)
    page = patients_of_page(found.get_page(request.GET.get("page")))
    assessments = daily_assessments_of(page.object_list)
    context = {
        "study": study,
        "filters": filters,
        "page": page,
        "rows": [
            (
                patient,
                status_badges(patient, assessments[patient.pk]),
                response_label(patient.d30_status),
            )
            for patient in page
        ],
        "columns": sort_links(COLUMNS, request.GET, "sort"),
        "filtered": any(request.GET.get(name) for name in filters.form.fields if name != "sort"),
        "enrolled": page.paginator.count > 0 or patients.exists(),
        **analysis_links(request, study),
    }
    if is_htmx(request):
        # The links in the page's head follow the filters the results were found with.
        context["swap_links"] = True
        return render(request, "web/partials/patient_results.html", context)
    return render(request, "web/patient_list.html", context)


# The sections each of the list's parameters reads (its search and its site, none), and
# the parameters that only order or page it.
LIST_FILTERS_READ = {"q": (), "site": (), **FILTERS_READ}
PAGING = ("page", "sort")


def patient_count(
    study: models.Study, site_ids: list[int], query: QueryDict, count: Callable[[], int]
) -> int:
    """How many patients of the sites `site_ids` the list's filters in `query` find: kept
    under the data version of the parts of the study's data they read (registry.paging),
    else `count`. A parameter of no filter is said to read every part."""
    filters = [(name, values) for name, values in query.lists() if name not in PAGING]
    reads = filters_read((name for name, _values in filters), LIST_FILTERS_READ)
    version = data_version.studies_version([study.pk], reads)
    return kept_count("web-patients", site_ids, version, filters, count)


def analysis_links(request: HttpRequest, study: models.Study) -> dict:
    """The dashboard and, for those who export, the Export page, with the list's filters."""
    carried = iso_dates(given_filters(request.GET), DATE_FILTERS, study.date_format)
    links = {
        "dashboard_url": with_query(reverse("analytics-dashboard", args=[study.code]), carried)
    }
    if study.can_export:
        links["export_url"] = with_query(reverse("analytics-export", args=[study.code]), carried)
    return links


def patients_of_page(page: Page) -> Page:
    """The page of patient ids `page` as a page of those patients, with what the list
    shows of their course."""
    rows = models.Patient.objects.select_related("site", "toxicities").prefetch_related("infusions")
    pks = list(page.object_list)
    patients = rows.in_bulk(pks)
    # A patient deleted since its id was read is left out.
    return Page([patients[pk] for pk in pks if pk in patients], page.number, page.paginator)


def daily_assessments_of(patients: list[models.Patient]) -> defaultdict[int, list[dict]]:
    """The daily assessments of `patients` by patient, each as the grades read it
    (`DailyAssessment.document_fields`): rows, which cost a page of the list far less than
    the assessments as model instances (some 15 a patient)."""
    fields = models.DailyAssessment.document_fields
    rows = models.DailyAssessment.objects.filter(patient__in=patients)
    by_patient = defaultdict(list)
    for row in rows.values("patient_id", *fields):
        by_patient[row.pop("patient_id")].append(row)
    return by_patient


def enrolment_forms(study: models.Study, sites, data=None, site: models.Site | None = None):
    """The enrolment's forms; the patient goes to one of `sites`."""
    return (
        forms.PatientForm(
            data, study=study, sites=sites, initial={"site": site.pk if site else None}
        ),
        forms.EligibilityForm(data, prefix="eligibility", study=study),
        forms.PriorMurineCartForm(data, prefix="prior", study=study),
    )


@login_required
def patient_enrol(request: HttpRequest, code: str) -> HttpResponse:
    study = study_to_enrol_in(request, code)
    editable = access.editable_sites(request.user, study.sites.all())
    sites = list(editable)
    only = sites[0] if len(sites) == 1 else None
    site = next((site for site in sites if site.code == request.GET.get("site")), only)
    data = request.POST if request.method == "POST" else None
    all_forms = enrolment_forms(study, editable, data, site)
    patient_form, eligibility_form, prior_form = all_forms
    # Every form is validated (a list, not a generator), so every mistake shows at once.
    if data is not None and all([form.is_valid() for form in all_forms]):
        patient = save_enrolment(patient_form, [eligibility_form, prior_form], request.user)
        if patient is not None:
            messages.success(request, f"Patient {patient.subject_id} enrolled.")
            return redirect("web:patient-detail", pk=patient.pk)
    context = {
        "study": study,
        "patient_form": patient_form,
        "eligibility_form": eligibility_form,
        "prior_form": prior_form,
        "verdict": enrolment_verdict(study, eligibility_form, prior_form),
    }
    return render(request, "web/patient_enrol.html", context)


def enrolment_verdict(
    study: models.Study, eligibility_form: forms.EligibilityForm, prior_form
) -> Verdict | None:
    """The verdict of what has been typed, or None before anything is: an empty form is not
    yet assessed, not a patient who fails every criterion."""
    if not (eligibility_form.has_changed() or prior_form.has_changed()):
        return None
    return typed_verdict(study, eligibility_form, int(prior_form.has_changed()))


def save_enrolment(patient_form, section_forms, user) -> models.Patient | None:
    """The patient and the sections filled in, saved all together or not at all.

    The course rules need a stored patient, so each section is validated again once the
    patient exists; a problem then rolls everything back and shows beside its field.
    """
    form = patient_form
    patient = patient_form.instance
    try:
        with transaction.atomic():
            services.record_save(record=patient, user=user)
            for form in section_forms:
                if form.has_changed():
                    form.instance.patient = patient
                    services.record_save(record=form.instance, user=user)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    return patient


@login_required
@require_POST
def enrolment_eligibility(request: HttpRequest, code: str) -> HttpResponse:
    """The live verdict beside the enrolment form, from what has been typed so far."""
    study = study_to_enrol_in(request, code)
    _, eligibility_form, prior_form = enrolment_forms(study, study.sites.none(), request.POST)
    verdict = enrolment_verdict(study, eligibility_form, prior_form)
    return render(request, "web/partials/eligibility_verdict.html", {"verdict": verdict})


@login_required
@require_POST
def patient_eligibility(request: HttpRequest, pk: int) -> HttpResponse:
    """The live verdict beside a patient's eligibility form, with the stored prior therapies."""
    patient = patient_for_edit(pk, request.user)
    form = forms.EligibilityForm(request.POST)
    verdict = typed_verdict(patient.study, form, murine_cart_count(patient))
    return render(request, "web/partials/eligibility_verdict.html", {"verdict": verdict})


@login_required
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_for_page(pk, request.user)
    rights = access.patient_rights(request.user, patient)
    context = {
        "study": patient.study,
        "patient": patient,
        "can_edit": rights.edit,
        "badges": status_badges(patient),
        "timeline": patient_timeline(patient),
        "schedule": patient_schedule(patient),
        "cards": [card_context(section, patient) for section in SECTIONS.values()],
        "data_queries": patient.data_queries.select_related(
            "raised_by", "answered_by", "closed_by"
        ),
        "can_raise_queries": rights.raise_queries,
        # A query refused comes back with what was typed (registry.web.query_views).
        "query_typed": {
            "field": request.GET.get("query_field", ""),
            "question": request.GET.get("query_question", ""),
        },
        **casebook_context(patient, rights),
    }
    return render(request, "web/patient_detail.html", context)


HISTORY_PAGE_SIZE = 20


@login_required
def patient_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every change to the patient's data, newest first: on the patient page, or a page."""
    patients = access.visible_patients(request.user, models.Patient.objects.select_related("study"))
    patient = get_object_or_404(patients, pk=pk)
    entries = history.patient_history(patient.pk, date_format=patient.study.date_format)
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"patient": patient, "study": patient.study, "page": page}
    template = "web/partials/history.html" if is_htmx(request) else "web/patient_history.html"
    return render(request, template, context)


PARTS = {
    "header": "web/partials/patient_header.html",
    "timeline": "web/partials/timeline.html",
    "schedule": "web/partials/patient_schedule.html",
    "casebook": "web/partials/casebook.html",
}


@login_required
def patient_part(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """The header, the timeline, the schedule or the casebook alone, reloaded after any
    section is saved."""
    if part not in PARTS:
        raise Http404
    patient = patient_for_page(pk, request.user)
    context = {"patient": patient}
    if part == "header":
        context["badges"] = status_badges(patient)
    elif part == "schedule":
        context["schedule"] = patient_schedule(patient)
    elif part == "casebook":
        context |= casebook_context(patient, access.patient_rights(request.user, patient))
    else:
        context["timeline"] = patient_timeline(patient)
    return render(request, PARTS[part], context)
