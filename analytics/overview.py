"""A study's live statistics for its admin page: the dashboard's key figures at the study's
own clinical cut-off, over the patients the user reads, with links to read further.

Nothing is computed here: the numbers are the cached results of analytics.results that
the dashboard and the API show for the same study without filters.
"""

from dataclasses import replace

from django.http import QueryDict
from django.urls import reverse

from analytics import figures, params
from analytics.dashboard_form import DashboardParams
from analytics.key_figures import estimate_text, key_figures
from analytics.selection import Selection
from registry import access
from registry.models import DataQuery, Study
from registry.queries import visible_queries

SURVIVAL_MONTH = 12.0
# The endpoints the study page shows, as the dashboard names them.
ENDPOINTS = ("efs", "os")
EXPORTS = (
    ("study-export", "Cohort (JSON)"),
    ("study-export-patients-csv", "Patients (CSV)"),
    ("study-export-patients-xlsx", "Patients (Excel)"),
    ("study-export-deidentified-csv", "De-identified (CSV)"),
)


def study_overview(study: Study, user) -> dict:
    """The figures, grade counts and open queries of the study's admin panel, and its links."""
    analysis = params.analysis_request(DashboardParams, QueryDict())
    analysis = replace(
        analysis, study_cutoff=study.data_cutoff, scope=access.patient_scope(user, study)
    )
    selection = Selection(study, analysis)
    overview = {
        "cutoff": analysis.cutoff,
        "open_queries": _open_queries(study, user),
        "dashboard": reverse("analytics-dashboard", kwargs={"code": study.code}),
        "export_page": reverse("analytics-export", kwargs={"code": study.code}),
        "exports": [(label, reverse(name, kwargs={"code": study.code})) for name, label in EXPORTS],
    }
    # On no patient the reports have nothing to summarise; the dashboard says the same.
    if selection.frame.empty:
        return overview | {"empty": True}
    toxicity = selection.result("toxicity")
    return overview | {
        "key_figures": key_figures(selection, toxicity),
        "survival": [
            _at_month(selection, endpoint, figures.ENDPOINT_NAMES[endpoint])
            for endpoint in ENDPOINTS
        ],
        "grades": [
            {"name": name, "counts": toxicity[key]["distribution"]}
            for key, name in (("crs", "CRS"), ("icans", "ICANS"))
        ],
    }


def _at_month(selection: Selection, endpoint: str, label: str) -> dict:
    report = selection.result("survival", endpoint=endpoint, times=(SURVIVAL_MONTH,))
    estimates = report["groups"][0]["estimates"]
    reached = [point for point in estimates if point["month"] == SURVIVAL_MONTH]
    value = estimate_text(reached[0]["survival"], reached[0]["ci95"]) if reached else "—"
    return {"label": f"{label} at {SURVIVAL_MONTH:g} months", "value": value}


def _open_queries(study: Study, user) -> int:
    queries = DataQuery.objects.filter(patient__study=study, status=DataQuery.Status.OPEN)
    return visible_queries(user, queries).count()
