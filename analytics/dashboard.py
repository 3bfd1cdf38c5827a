"""The coordinator dashboard: a study's statistics, figures and tables on one page.

Thin views over the analytics: the filters are the API's parameters, validated by
analytics.params (a bad one shows its message beside its field); every number is a cached
result of analytics.results, the same as the API returns for the same parameters; every
figure is drawn by analytics.figures from those results. Nothing is computed here.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from matplotlib.figure import Figure

from analytics import figures, stats
from analytics.caching import study_cache
from analytics.dashboard_form import SHOWN_ONLY, DashboardForm, page_form, readable_study
from analytics.exports import dates_note
from analytics.key_figures import estimate_text, interval_text, key_figures, percent_text
from analytics.selection import Selection
from registry import access, schedule
from registry.models import Study
from registry.patient_filters import given_filters, with_query
from registry.queries import unresolved_counts

# Response by subgroup, as in the paper's "Treatment response": (covariate, cut point).
SUBGROUPS = (
    ("prior_allo_hct", None),
    ("prior_cd22_cart", None),
    ("age_group", None),
    ("mcd19_interval_months", 12.0),
    ("disease_status", None),
)
# Estimates shown beside the survival and incidence curves, where the curves reach them.
SUMMARY_MONTHS = (12.0, 24.0)
TEST_NAMES = {
    "fisher_exact": "Fisher's exact test",
    "fisher_freeman_halton": "Fisher–Freeman–Halton test",
    "chi_square": "χ² test",
}
TABLE_HEADERS = {
    "characteristic": "",
    "n": "n",
    "percent": "%",
    "median": "Median",
    "min": "Min",
    "max": "Max",
    "total": "Patients",
    "in_remission": "In remission",
    "relapsed": "Relapsed",
    "died": "Died",
}
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@dataclass(frozen=True)
class Plot:
    title: str
    caption: str
    data: Callable[[Selection], tuple]  # the arguments of `problem` and `draw`
    problem: Callable[..., str | None]
    draw: Callable[..., Figure]
    # The title for the data drawn, where it names what was chosen; else `title`.
    named: Callable[..., str] | None = None


PLOTS = {
    "efs": Plot(
        figures.ENDPOINT_NAMES["efs"],
        "Kaplan–Meier estimate with its 95% band; a tick marks each patient censored (followed "
        "without an event to last contact). An event is relapse or death; among all patients, "
        "no response at day 30 is an event at day 0.",
        lambda selection: (selection.survival("efs"),),
        figures.km_problem,
        figures.km_figure,
    ),
    "os": Plot(
        figures.ENDPOINT_NAMES["os"],
        "Kaplan–Meier estimate with its 95% band; a tick marks each patient censored (alive "
        "at last contact). An event is death from any cause.",
        lambda selection: (selection.survival("os"),),
        figures.km_problem,
        figures.km_figure,
    ),
    "incidence": Plot(
        "Relapse and non-relapse mortality",
        "Cumulative incidence among day-30 responders (Aalen–Johansen, each the other's "
        "competing risk), with 95% bands.",
        lambda selection: (selection.incidence(),),
        figures.incidence_problem,
        figures.incidence_figure,
    ),
    "swimmer": Plot(
        "Each patient's course",
        "One bar per patient from the infusion to death or last contact, coloured and hatched "
        "by the day-30 response (as the paper's Fig. 2).",
        lambda selection: (selection.frame,),
        figures.swimmer_problem,
        figures.swimmer_figure,
    ),
    "expansion": Plot(
        "CAR-T expansion",
        "CAR-T cells/µL by flow cytometry in the study's kinetics specimen (blood unless the "
        "study says otherwise) after the infusion, one line per patient, coloured and "
        "marked by the day-30 response; the black line is the median, on each day with a "
        f"count from at least {stats.MEDIAN_MIN_PATIENTS} patients, of their counts that day "
        "(undetectable as 0); ND: not detectable.",
        lambda selection: (selection.frame, selection.car_t_counts()),
        figures.expansion_problem,
        figures.expansion_figure,
    ),
    "labs": Plot(
        "Lab series",
        "Median (line) and interquartile range (band) of the values by visit day after the "
        "infusion, on each day with values from at least "
        f"{stats.MEDIAN_MIN_PATIENTS} patients; each value counts at its nearest visit day, "
        "each patient once a day; day 0 is the last value on or before the infusion. Below "
        "detection counts as 0 (<LOD on a log axis). The table lists every day.",
        lambda selection: (selection.lab_series(),),
        figures.lab_series_problem,
        figures.lab_series_figure,
        lambda report: f"Lab series: {report['analyte_name']} by day",
    ),
    "grades": Plot(
        "CRS and ICANS grades",
        "Each patient's highest grade as the site recorded it and as computed from the daily "
        "assessments (ASTCT).",
        lambda selection: (selection.result("toxicity"),),
        figures.grades_problem,
        figures.grades_figure,
    ),
}


TEMPLATE = "analytics/dashboard.html"


def _selection(request: HttpRequest, study: Study, form: DashboardForm) -> Selection:
    # Counted over the patients the user reads, as the API counts them.
    analysis = replace(
        form.cleaned_data["analysis"], scope=access.patient_scope(request.user, study)
    )
    return Selection(study, analysis)


@login_required
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    study = readable_study(request, code)
    form = page_form(request, study)
    context = {
        "study": study,
        "form": form,
        "completeness": follow_up_completeness(request, study),
        # Not cached: answering or confirming a query moves no data version.
        "query_counts": unresolved_counts(request.user, study),
        **_page_links(request, study, form),
    }
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    selection = _selection(request, study, form)
    for warning in selection.cut.warnings:
        messages.warning(request, warning)
    if selection.frame.empty:
        return render(request, TEMPLATE, context | {"empty": selection.empty_reason() or True})
    return render(request, TEMPLATE, context | page_context(selection, form.query()))


def follow_up_completeness(request: HttpRequest, study: Study) -> list[schedule.Completeness]:
    """Each of the user's sites' follow-up completeness (registry.schedule.completeness),
    then theirs together, today and at the study's data cut-off; not filtered."""
    sites = access.visible_sites(request.user, study.sites.all())
    today = timezone.localdate()
    key = {"sites": sorted(sites.values_list("pk", flat=True)), "today": today.isoformat()}
    return study_cache(study).get(
        "follow-up-completeness",
        key,
        lambda: schedule.completeness(study, sites, study.data_cutoff, today),
    )


def _page_links(request: HttpRequest, study: Study, form: DashboardForm) -> dict:
    """The patient list with the filters it takes, and, for those who export, the Export
    page with the dashboard's choices."""
    patients = reverse("web:patient-list", args=[study.code])
    links = {"list_url": with_query(patients, given_filters(form.query()))}
    if access.can_export(request.user, study):
        export = reverse("analytics-export", args=[study.code])
        links["export_url"] = with_query(export, form.download_query())
    return links


@login_required
def figure(request: HttpRequest, code: str, name: str, image_format: str) -> HttpResponse:
    """One figure of the dashboard as PNG or SVG, for the same query as the page;
    ?download=1 to save it. 404 with the reason when the selection has nothing to draw."""
    plot = PLOTS.get(name)
    if plot is None or image_format not in IMAGE_TYPES:
        raise Http404
    study = readable_study(request, code)
    form = page_form(request, study)
    if not form.is_valid():
        return HttpResponseBadRequest(_messages(form), content_type="text/plain; charset=utf-8")
    selection = _selection(request, study, form)
    analysis = selection.analysis
    key = {
        "name": name,
        "format": image_format,
        "date_format": study.date_format,  # of the dates in the caption
        **analysis.params,
        "filters": analysis.filters,
    }
    try:
        content = study_cache(study).get(
            "figure", key, lambda: _rendered(selection, plot, image_format)
        )
    except figures.NothingToDraw as nothing:
        return HttpResponse(str(nothing), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=IMAGE_TYPES[image_format])
    if request.GET.get("download"):
        response["Content-Disposition"] = content_disposition_header(
            True, f"{study.code}-{name}.{image_format}"
        )
    return response


def _rendered(selection: Selection, plot: Plot, image_format: str) -> bytes:
    caption = dates_note(selection.result("toxicity"), selection.study.date_format)
    return figures.render(plot.draw(*plot.data(selection)), image_format, caption)


def _messages(form: DashboardForm) -> str:
    return "\n".join(
        f"{name}: {message}" for name, messages in form.errors.items() for message in messages
    )


def page_context(selection: Selection, query: QueryDict) -> dict:
    code = selection.study.code
    plots = {name: _plot(selection, code, name, plot, query) for name, plot in PLOTS.items()}
    toxicity = plots["grades"]["data"][0]
    return {
        "dates": dates_note(toxicity, selection.study.date_format),
        "key_figures": key_figures(selection, toxicity),
        "subgroups": [_subgroup(selection, by, cut) for by, cut in SUBGROUPS],
        "plots": plots,
        "survival": {name: _survival_rows(plots[name]["data"][0]) for name in ("efs", "os")},
        "incidence": _incidence_rows(plots["incidence"]["data"][0]),
        "discrepancies": toxicity["discrepancies"],
        "lab_days": _lab_rows(plots["labs"]["data"][0]),
        "tables": [
            _table(selection.result(name), code, name, query)
            for name in ("characteristics", "outcomes")
        ],
    }


def _plot(selection: Selection, code: str, name: str, plot: Plot, query: QueryDict) -> dict:
    data = plot.data(selection)
    kwargs = {"code": code, "name": name}
    download = query.copy()
    download["download"] = "1"
    return {
        "title": plot.named(*data) if plot.named else plot.title,
        "caption": plot.caption,
        "problem": plot.problem(*data),
        "data": data,
        "svg": _url("analytics-dashboard-figure", query, image_format="svg", **kwargs),
        "downloads": {
            image_format: _url(
                "analytics-dashboard-figure", download, image_format=image_format, **kwargs
            )
            for image_format in IMAGE_TYPES
        },
    }


def _url(view: str, query: QueryDict, **kwargs) -> str:
    address = reverse(view, kwargs=kwargs)
    return f"{address}?{query.urlencode()}" if query else address


def _subgroup(selection: Selection, by: str, cut: float | None) -> dict:
    report = selection.result("response", by=by, cut=cut)
    return {
        "title": figures.COVARIATE_LABELS[by],
        "rows": [
            {
                "label": figures.value_label(group["value"]),
                "responders": group["responders"],
                "n": group["n"],
                "rate": percent_text(group["rate"]),
                "ci": interval_text(group["ci95"]),
            }
            for group in report["groups"]
        ],
        "p": "—" if report["p_value"] is None else figures.format_p(report["p_value"]),
        "test": TEST_NAMES.get(report["test"], "not tested"),
    }


def _survival_rows(report: dict) -> dict:
    estimated = [estimate["month"] for group in report["groups"] for estimate in group["estimates"]]
    months = [month for month in SUMMARY_MONTHS if month in estimated]
    return {
        "endpoint": report["endpoint"],
        "by": figures.COVARIATE_LABELS.get(report["by"], "Patients"),
        "months": months,
        "logrank_p": None if report["logrank_p"] is None else figures.format_p(report["logrank_p"]),
        "rows": [
            {
                "label": figures.group_name(report, group["value"]),
                "n": group["n"],
                "events": group["events"],
                "median": _median(group),
                "estimates": [
                    estimate_text(estimate["survival"], estimate["ci95"])
                    for estimate in group["estimates"]
                    if estimate["month"] in months
                ],
            }
            for group in report["groups"]
        ],
    }


def _incidence_rows(report: dict) -> dict:
    months = [
        month
        for month in SUMMARY_MONTHS
        if month in [point["month"] for point in report["relapse"]]
    ]
    return {
        "months": months,
        "rows": [
            {
                "label": label,
                "estimates": [
                    estimate_text(point["incidence"], point["ci95"])
                    for point in report[name]
                    if point["month"] in months
                ],
            }
            for name, label in (("relapse", "Relapse"), ("nrm", "Non-relapse mortality"))
        ],
    }


def _table(table: dict, code: str, name: str, query: QueryDict) -> dict:
    columns = [column for column in table["columns"] if column != "section"]
    downloads = {}
    for table_format in ("csv", "xlsx"):
        download = query.copy()
        for leave_out in SHOWN_ONLY:
            download.pop(leave_out, None)
        download["format"] = table_format
        downloads[table_format] = _url(f"analytics-tables-{name}", download, code=code)
    return {
        "title": table["title"],
        "n": table["n"],
        "headers": [TABLE_HEADERS[column] for column in columns],
        "rows": [
            {"section": row["section"], "cells": [_cell(row[column]) for column in columns]}
            for row in table["rows"]
        ],
        "downloads": downloads,
    }


def _lab_rows(report: dict) -> list[dict]:
    """Every visit day of the lab series, plotted or not, its numbers as the table shows them."""
    rows = []
    for day in report["days"]:
        first, last = day["days"]
        rows.append(
            {
                "day": day["day"],
                "n": day["n"],
                "median": _lab_value(day["median"]),
                "iqr": f"{_lab_value(day['q1'])}–{_lab_value(day['q3'])}",
                "below_detection": day["below_detection"],
                "days": str(first) if first == last else f"{first} to {last}",
            }
        )
    return rows


def _lab_value(value: float) -> str:
    """Three significant digits, without an exponent: 0.0450, 1.25, 812, 12,300."""
    if value == 0:
        return "0"
    decimals = 2 - math.floor(math.log10(abs(value)))
    # A negative number of decimals rounds to tens, hundreds, ...
    return f"{round(value, decimals):,.{max(decimals, 0)}f}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{round(value, 1):g}"
    return str(value)


def _median(group: dict) -> str:
    if group["median_months"] is None:
        return "not reached"
    bounds = group["median_ci95"]
    median = f"{group['median_months']:.1f}"
    if not bounds:
        return median
    low, high = (("NR" if bound is None else f"{bound:.1f}") for bound in bounds)
    return f"{median} ({low}–{high})"
