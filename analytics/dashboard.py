"""The coordinator dashboard: a study's statistics, figures and tables on one page.

Thin views over the analytics: the filters are the API's parameters, validated by
analytics.params (a bad one shows its message beside its field); every number is a cached
result of analytics.results, the same as the API returns for the same parameters; every
figure is drawn by analytics.figures from those results. Nothing is computed here.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import pandas as pd
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django_filters import DateFilter
from matplotlib.figure import Figure
from rest_framework import serializers

from analytics import figures, params, stats
from analytics.caching import study_cache
from analytics.cohort import ALL, RESPONDERS, in_population
from analytics.cutoff import CutFrame
from analytics.dataset import study_patients
from analytics.exports import dates_note
from analytics.results import cut_frame, study_car_t_counts, study_result
from registry import access
from registry.models import Study
from registry.patient_filters import (
    BY_NAME,
    PatientFilter,
    WholeNumberFilter,
    given_filters,
    with_query,
)

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


class DashboardParams(params.CovariateParams):
    """The population, and the covariate the survival curves are compared by."""

    by = serializers.ChoiceField(choices=list(figures.COVARIATE_LABELS), required=False)


ANY = ("", "Any")
FILTERS = list(BY_NAME)


def _text(label: str, widget: forms.Widget, help_text: str = "") -> forms.CharField:
    # Every field takes text as typed: analytics.params validates it, as for the API.
    return forms.CharField(label=label, required=False, widget=widget, help_text=help_text)


def _select(label: str, choices: list, help_text: str = "") -> forms.CharField:
    return _text(label, forms.Select(choices=choices), help_text)


def _filter_field(patient_filter: PatientFilter) -> forms.CharField:
    """The field of a patient filter (registry.patient_filters): its label and choices."""
    found = patient_filter.filter
    if "choices" in found.extra:
        return _select(found.label, [ANY, *found.extra["choices"]])
    if isinstance(found, DateFilter):
        return _text(found.label, forms.DateInput(attrs={"type": "date"}))
    if isinstance(found, WholeNumberFilter):
        return _text(found.label, forms.NumberInput(attrs={"min": 0}))
    return _text(found.label, forms.TextInput())


# The patient filters, in their order; the study is the page's own.
PatientFilterFields = type(forms.Form)(
    "PatientFilterFields",
    (forms.Form,),
    {name: _filter_field(patient_filter) for name, patient_filter in BY_NAME.items()},
)


class DashboardForm(PatientFilterFields):
    """The dashboard's choices under the API's parameter names, so that the table downloads
    take the same query. Its cleaned_data["analysis"] is the validated AnalysisRequest."""

    population = _select(
        "Population", [(ALL, "All patients"), (RESPONDERS, "Day-30 responders (CR/CRi)")]
    )
    by = _select("Compare survival by", [("", "No comparison"), *figures.COVARIATE_LABELS.items()])
    cut = _text(
        "Cut point",
        forms.NumberInput(attrs={"step": "any"}),
        "For a number, e.g. 12 (months) or 18 (years)",
    )
    cutoff = _text(
        "Clinical cut-off",
        forms.TextInput(),
        "Events and assessments after this day (YYYY-MM-DD) are ignored and follow-up ends "
        "at it; empty: the study's cut-off; none: everything recorded",
    )
    as_of = _text(
        "As recorded on",
        forms.DateInput(attrs={"type": "date"}),
        "The data as it had been entered by the end of this day, before any later entry or "
        "correction; empty: as it stands now",
    )

    def __init__(self, data: QueryDict, *, sites=(), study: Study | None = None):
        super().__init__(data)
        self.fields["site"].widget = forms.Select(
            choices=[("", "All sites")] + [(site.code, str(site)) for site in sites]
        )
        self.study_cutoff = study.data_cutoff if study else None
        # Empty takes the study's cut-off, which the field shows.
        self.fields["cutoff"].widget.attrs["placeholder"] = (
            self.study_cutoff.isoformat() if self.study_cutoff else "none"
        )

    def clean(self) -> dict:
        try:
            analysis = params.analysis_request(DashboardParams, self.query())
            self.cleaned_data["analysis"] = replace(analysis, study_cutoff=self.study_cutoff)
        except serializers.ValidationError as error:
            for name, messages in error.detail.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, str(message))
        return self.cleaned_data

    def query(self) -> QueryDict:
        """The values given, as the API's query string takes them."""
        query = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name, "").strip()
            if value:
                query[name] = value
        return query

    def download_query(self) -> QueryDict:
        """The values given that the downloads take: the survival comparison is no
        download's parameter."""
        query = self.query()
        for name in ("by", "cut"):
            query.pop(name, None)
        return query

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FILTERS]

    def analysis_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("population", "by", "cut", "cutoff", "as_of")]


DATES = ("cutoff", "as_of")


@dataclass(frozen=True)
class Selection:
    """The patients chosen on the dashboard, and the cached results about them."""

    study: Study
    analysis: params.AnalysisRequest

    @property
    def population(self) -> str:
        return self.analysis.params["population"]

    def result(self, name: str, **chosen) -> dict:
        """The named result (analytics.results.REPORTS) with these parameters: the API's
        answer to the same query, from the same cache."""
        # The chosen clinical cut-off and as-recorded date are parameters too.
        given = {name: self.analysis.params[name] for name in DATES if name in self.analysis.params}
        given["population"] = self.population
        given |= {key: value for key, value in chosen.items() if value is not None}
        return study_result(self.study, name, replace(self.analysis, params=given))

    @cached_property
    def cut(self) -> CutFrame:
        return cut_frame(self.study, study_cache(self.study), self.analysis, parts=())

    @cached_property
    def frame(self) -> pd.DataFrame:
        return in_population(self.cut.frame, self.population)

    def empty_reason(self) -> dict:
        """Why no patient is analysed, when it is not the filters: nothing entered by the
        as-recorded date, or everyone infused after the clinical cut-off."""
        as_of, cutoff = self.analysis.as_of, self.analysis.cutoff
        if as_of and not study_patients(self.study, as_of=as_of).exists():
            return {"nothing_entered_by": as_of}
        if self.cut.left_out and self.cut.frame.empty:
            return {"infused_after_cutoff": self.cut.left_out, "cutoff": cutoff}
        return {}

    @cached_property
    def ticks(self) -> tuple[float, ...]:
        longest = pd.to_numeric(self.frame["followup_months"]).max()
        return figures.month_ticks(None if pd.isna(longest) else float(longest))

    def survival(self, endpoint: str) -> dict:
        chosen = self.analysis.params
        return self.result(
            "survival",
            endpoint=endpoint,
            by=chosen.get("by"),
            cut=chosen.get("cut"),
            times=self.ticks,
        )

    def incidence(self) -> dict:
        # Relapse presupposes a remission: among the responders, whatever the population.
        months = in_population(self.frame, RESPONDERS)["efs_months"]
        times = figures.curve_times(months.tolist(), self.ticks)
        return self.result("cumulative-incidence", population=RESPONDERS, times=times)

    def car_t_counts(self) -> dict:
        return study_car_t_counts(self.study, study_cache(self.study), self.analysis)


@dataclass(frozen=True)
class Plot:
    title: str
    caption: str
    data: Callable[[Selection], tuple]  # the arguments of `problem` and `draw`
    problem: Callable[..., str | None]
    draw: Callable[..., Figure]


PLOTS = {
    "efs": Plot(
        "Event-free survival",
        "Kaplan–Meier estimate with its 95% band; a tick marks each patient censored (followed "
        "without an event to last contact). An event is relapse or death; among all patients, "
        "no response at day 30 is an event at day 0.",
        lambda selection: (selection.survival("efs"),),
        figures.km_problem,
        figures.km_figure,
    ),
    "os": Plot(
        "Overall survival",
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
        "CAR-T cells/µL in blood after the infusion, one line per patient, coloured and "
        "marked by the day-30 response; the black line is the median, on each day with a "
        f"count from at least {stats.MEDIAN_MIN_PATIENTS} patients, of their counts that day "
        "(undetectable as 0); ND: not detectable.",
        lambda selection: (selection.frame, selection.car_t_counts()),
        figures.expansion_problem,
        figures.expansion_figure,
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


def _study(request: HttpRequest, code: str) -> Study:
    return get_object_or_404(access.visible_studies(request.user), code=code)


def _selection(request: HttpRequest, study: Study, form: DashboardForm) -> Selection:
    # Counted over the patients the user reads, as the API counts them.
    analysis = replace(
        form.cleaned_data["analysis"], scope=access.patient_scope(request.user, study)
    )
    return Selection(study, analysis)


@login_required
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    study = _study(request, code)
    sites = access.visible_sites(request.user, study.sites.order_by("code"))
    form = DashboardForm(request.GET, sites=sites, study=study)
    context = {"study": study, "form": form, **_page_links(request, study, form)}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    selection = _selection(request, study, form)
    for warning in selection.cut.warnings:
        messages.warning(request, warning)
    if selection.frame.empty:
        return render(request, TEMPLATE, context | {"empty": selection.empty_reason() or True})
    return render(request, TEMPLATE, context | page_context(selection, form.query()))


def _page_links(request: HttpRequest, study: Study, form: DashboardForm) -> dict:
    """The patient list with the filters it takes, and, for those who export, the Export
    page with the dashboard's choices."""
    patients = reverse("web:patient-list", args=[study.code])
    links = {"list_url": with_query(patients, given_filters(request.GET))}
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
    study = _study(request, code)
    form = DashboardForm(request.GET, study=study)
    if not form.is_valid():
        return HttpResponseBadRequest(_messages(form), content_type="text/plain; charset=utf-8")
    selection = _selection(request, study, form)
    analysis = selection.analysis
    key = {"name": name, "format": image_format, **analysis.params, "filters": analysis.filters}
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
    caption = dates_note(selection.result("toxicity"))
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
        "dates": dates_note(toxicity),
        "key_figures": _key_figures(selection, toxicity),
        "subgroups": [_subgroup(selection, by, cut) for by, cut in SUBGROUPS],
        "plots": plots,
        "survival": {name: _survival_rows(plots[name]["data"][0]) for name in ("efs", "os")},
        "incidence": _incidence_rows(plots["incidence"]["data"][0]),
        "discrepancies": toxicity["discrepancies"],
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
        "title": plot.title,
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


def _key_figures(selection: Selection, toxicity: dict) -> list[dict]:
    """The tiles atop the page; each line of a tile says what its number counts."""
    n = toxicity["n"]
    counted = "day-30 responders" if selection.population == RESPONDERS else "patients"
    return [
        {"label": "Patients", "value": str(n), "details": [f"{counted} in this selection"]},
        _response_tile(selection.result("response")),
        _follow_up_tile(selection.result("follow-up")),
        *(
            _grade_tile(toxicity, name, label)
            for name, label in (("crs", "CRS"), ("icans", "ICANS"))
        ),
        _kinetics_tile(selection.result("kinetics")),
    ]


def _response_tile(response: dict) -> dict:
    details = [f"CR/CRi in {response['responders']} of {response['n']} with a day-30 assessment"]
    if response["not_evaluable"]:
        details.append(
            f"{response['not_evaluable']} of them not evaluable, counted as non-responders"
        )
    return {
        "label": "Day-30 response",
        "value": _percent(response["rate"]),
        "details": [*details, f"95% CI {_interval(response['ci95'])}"],
    }


def _follow_up_tile(follow_up: dict) -> dict:
    return {
        "label": "Median follow-up",
        "value": _months(follow_up["median_months"]),
        "details": [
            f"among {follow_up['survivors']} patients alive at last contact",
            f"range {_range(follow_up['range_months'])}",
        ],
    }


def _grade_tile(toxicity: dict, name: str, label: str) -> dict:
    # The analysed grade (analytics.dataset): the site's recorded maximum, else the one
    # computed from the daily assessments.
    grades, n = toxicity[name], toxicity["n"]
    return {
        "label": f"{label}, any grade",
        "value": _percent(grades["any_grade"] / n if n else None),
        "details": [
            f"{grades['any_grade']} of {n} patients",
            f"grade ≥ 3 in {grades['grade_3_or_higher']}",
            "grade as recorded by the site, else computed from the daily assessments (ASTCT)",
        ],
    }


def _kinetics_tile(kinetics: dict) -> dict:
    peak = kinetics["summary"]["cmax_cells_per_ul"]["median"]
    return {
        "label": "CAR-T detected",
        "value": f"{kinetics['detected']} of {kinetics['with_counts']}",
        "details": [
            "patients with detectable CAR-T cells, of those with counts",
            "no expansion" if peak is None else f"median peak among them {peak:.3g} cells/µL",
        ],
    }


def _subgroup(selection: Selection, by: str, cut: float | None) -> dict:
    report = selection.result("response", by=by, cut=cut)
    return {
        "title": figures.COVARIATE_LABELS[by],
        "rows": [
            {
                "label": figures.value_label(group["value"]),
                "responders": group["responders"],
                "n": group["n"],
                "rate": _percent(group["rate"]),
                "ci": _interval(group["ci95"]),
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
                    _estimate(estimate["survival"], estimate["ci95"])
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
                    _estimate(point["incidence"], point["ci95"])
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
        for leave_out in ("by", "cut"):  # the survival comparison is no table parameter
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


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{round(value, 1):g}"
    return str(value)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.0f}%"


def _interval(pair: list | None) -> str:
    return "—" if pair is None else f"{100 * pair[0]:.0f}–{100 * pair[1]:.0f}%"


def _estimate(value: float | None, pair: list | None) -> str:
    if value is None:
        return "—"
    if pair is None:
        return _percent(value)
    return f"{_percent(value)} ({100 * pair[0]:.0f}–{100 * pair[1]:.0f})"


def _months(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} mo"


def _range(pair: list | None) -> str:
    return "—" if pair is None else f"{pair[0]:.1f}–{pair[1]:.1f} mo"


def _median(group: dict) -> str:
    if group["median_months"] is None:
        return "not reached"
    bounds = group["median_ci95"]
    median = f"{group['median_months']:.1f}"
    if not bounds:
        return median
    low, high = (("NR" if bound is None else f"{bound:.1f}") for bound in bounds)
    return f"{median} ({low}–{high})"
