"""A study's Export page: each file a coordinator downloads, what it holds, and a link to
its API endpoint (the browser's session signs it) with the page's choices applied.

The page is for those who export the study (registry.access.exportable_studies), as the
download endpoints are: anyone else who reads the study is refused (403), others find
nothing (404). Its choices are the dashboard's form, validated as the API validates them.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from analytics.dashboard_form import DATE_FIELDS, DashboardForm, page_form, readable_study
from registry import access
from registry.date_formats import date_text
from registry.http import EXPORTERS_ONLY
from registry.interchange.schema import FORMAT_NAME, FORMAT_VERSION
from registry.models import Study
from registry.patient_filters import given_filters, with_query

TEMPLATE = "analytics/export.html"


@dataclass(frozen=True)
class File:
    title: str
    description: str
    # label: (route, extra parameters[, the address's parameters besides the study code])
    links: dict[str, tuple]


# The complete files take only the two dates: their endpoints refuse patient filters.
COMPLETE_FILES = (
    File(
        "Cohort document",
        "Everything recorded about every patient, section by section, in the registry's "
        f"interchange format ({FORMAT_NAME}, version {FORMAT_VERSION}): a complete copy that "
        "can be imported again.",
        {"JSON": ("study-export", {})},
    ),
    File(
        "CDISC ODM 1.3.2",
        "The same complete copy as a CDISC ODM 1.3.2 document, for other data capture "
        "systems: the study's forms, items, units and code lists, then every patient's "
        "data. It can be imported again; the API's since= gives only the changes after a "
        "moment.",
        {"XML": ("study-export-odm", {})},
    ),
    File(
        "FHIR R4",
        "Every patient's course as FHIR R4 resources, for health record systems and FHIR "
        "servers: the study, each patient (pseudonymous: study id and year of birth), the "
        "B-ALL, eligibility, genetics, prior therapies, lymphodepletion and infusions with "
        "their doses, CAR-T counts, lab values, each day's CRS and ICANS findings with the "
        "day's ASTCT grade, toxicity treatments with their doses, responses and MRD, CRS and "
        "ICANS with the site's ASTCT grade, and the follow-up events. One Bundle, or NDJSON (one "
        "resource a line, as FHIR Bulk Data writes it) for a large study; each patient's "
        "Bundle alone is at the API's patients/{id}/fhir/.",
        {
            "Bundle (JSON)": ("study-export-fhir", {}),
            "NDJSON": ("study-export-fhir-ndjson", {}),
        },
    ),
    File(
        "Patients",
        "One row per patient with every captured field. The Excel workbook adds a sheet per "
        "repeated section (one row per record: infusions, assessments, events…) and a data "
        "dictionary sheet describing every column.",
        {
            "CSV": ("study-export-patients-csv", {}),
            "Excel": ("study-export-patients-xlsx", {}),
        },
    ),
    File(
        "De-identified patients",
        "The patients CSV fit to share outside the study: pseudonyms instead of study ids, "
        "age at infusion instead of the birth date, every date as days from the first "
        "infusion, no free text.",
        {"CSV": ("study-export-deidentified-csv", {})},
    ),
)
ANALYSIS_FILES = (
    File(
        "Patient characteristics (Table 1)",
        "The paper's table of the patients at enrolment: counts and percentages, medians "
        "and ranges.",
        {
            "CSV": ("analytics-tables-characteristics", {"format": "csv"}),
            "Excel": ("analytics-tables-characteristics", {"format": "xlsx"}),
        },
    ),
    File(
        "Treatment and outcomes (Table 2)",
        "The paper's table of the treatment, the responses, relapses and deaths.",
        {
            "CSV": ("analytics-tables-outcomes", {"format": "csv"}),
            "Excel": ("analytics-tables-outcomes", {"format": "xlsx"}),
        },
    ),
    File(
        "Analysis dataset",
        "One row per patient analysed, with the derived values (responses, follow-up, "
        "survival times, highest grades) every statistic of the dashboard is computed from.",
        {"CSV": ("analytics-dataset", {"format": "csv"})},
    ),
)


ADAM_FORMATS = {"SAS transport (XPT)": "xpt", "Dataset-JSON": "json", "CSV": "csv"}


def adam_file(name: str, description: str) -> File:
    links = {
        label: ("study-export-adam", {}, {"name": name, "file_format": file_format})
        for label, file_format in ADAM_FORMATS.items()
    }
    return File(name, description, links)


# The ADaM datasets take the dates as the analysis files do (the study's cut-off unless
# told), but no patient filters: they hold every patient the analyses would.
ADAM_FILES = (
    adam_file(
        "ADSL",
        "ADaM subject-level dataset: one record per patient with the treatment, the "
        "populations, prior therapies, death, the day-30 response and the highest CRS and "
        "ICANS grades.",
    ),
    adam_file(
        "ADTTE",
        "ADaM time-to-event dataset: a record per patient for overall, event-free and "
        "relapse-free survival, relapse and non-relapse mortality (each the other's "
        "competing event) and duration of response, in days, with the censoring reasons.",
    ),
    adam_file(
        "ADAE",
        "ADaM adverse events dataset: a record per patient for each of CRS and ICANS, with "
        "the onset, the highest ASTCT grade and where it comes from, and the treatments.",
    ),
    File(
        "Define-XML",
        "The Define-XML 2.1 document describing the three ADaM datasets: every variable's "
        "label, type, length, derivation and codes.",
        {"XML": ("study-export-adam-define", {})},
    ),
)


def _study(request: HttpRequest, code: str) -> Study:
    study = readable_study(request, code)
    if not access.can_export(request.user, study):
        raise PermissionDenied(EXPORTERS_ONLY)
    return study


def _links(code: str, file: File, query: QueryDict) -> list[dict]:
    links = []
    for label, (route, extra, *address_parameters) in file.links.items():
        given = query.copy()
        given.update(extra)
        parameters = {"code": code, **(address_parameters[0] if address_parameters else {})}
        address = reverse(route, kwargs=parameters)
        links.append({"label": label, "url": with_query(address, given)})
    return links


def complete_query(form: DashboardForm) -> QueryDict:
    """The dates of the page for the complete files. They are lossless unless cut off, so
    the page's cut-off (by default the study's) is asked for by its date."""
    analysis = form.cleaned_data["analysis"]
    query = QueryDict(mutable=True)
    query.update({name: value for name, value in analysis.dates.items() if value})
    return query


def dates_query(analysed: QueryDict) -> QueryDict:
    """The dates of the analysis files' query, without its patient filters."""
    query = QueryDict(mutable=True)
    query.update({name: analysed[name] for name in ("cutoff", "as_of") if analysed.get(name)})
    return query


def applied_filters(form: DashboardForm, query: QueryDict) -> list[str]:
    """Each patient filter given, in the words of its field: "Sex: Female", a date in the
    study's format."""
    shown = []
    for field in [*form.filter_fields(), form["population"]]:
        value = query.get(field.name)
        if not value:
            continue
        if field.name in DATE_FIELDS:
            words = date_text(form.cleaned_data[field.name], form.date_format)
        else:
            words = dict(getattr(field.field.widget, "choices", ())).get(value, value)
        shown.append(f"{field.label}: {words}")
    return shown


def page_links(request: HttpRequest, study: Study, form: DashboardForm) -> dict:
    """The patient list and the dashboard, with the filters of this page they take."""
    patients = reverse("web:patient-list", args=[study.code])
    dashboard = reverse("analytics-dashboard", args=[study.code])
    return {
        "list_url": with_query(patients, given_filters(form.query())),
        "dashboard_url": with_query(dashboard, form.query()),
    }


@login_required
def export(request: HttpRequest, code: str) -> HttpResponse:
    study = _study(request, code)
    form = page_form(request, study)
    context = {"study": study, "form": form, **page_links(request, study, form)}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    complete, analysed = complete_query(form), form.download_query()
    context |= {
        "analysis": form.cleaned_data["analysis"],
        "applied_filters": applied_filters(form, analysed),
        "complete_files": [(file, _links(code, file, complete)) for file in COMPLETE_FILES],
        "analysis_files": [(file, _links(code, file, analysed)) for file in ANALYSIS_FILES],
        "adam_files": [(file, _links(code, file, dates_query(analysed))) for file in ADAM_FILES],
    }
    return render(request, TEMPLATE, context)
