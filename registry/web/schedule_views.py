"""The follow-up schedule on the pages: a study's visits by site (/studies/CODE/follow-up/),
with the API's parameters (registry.schedule_list), and a patient's row of timepoints."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.exceptions import ValidationError

from registry import access, schedule_list
from registry.dates import iso_dates
from registry.follow_up import DONE_RULE
from registry.models import Visit
from registry.web.filters import FollowUpFilters
from registry.web.sort_columns import Column, sort_links
from registry.web.views import study_or_404
from registry.web.visits import shown

PAGE_SIZE = 25
# The page's words for the parameters it has no field for, in the messages about them.
LABELS = {
    "show": "Which visits",
    "ordering": "Sort",
    "on": "Day",
    "cutoff": "Clinical cut-off",
}
COLUMNS = [
    Column("Study id", "study_id"),
    Column("Site", "site"),
    Column("Timepoint", "timepoint"),
    Column("Target date", "due_date"),
    Column("Window"),
    Column("Status"),
]


@login_required
def follow_up(request: HttpRequest, code: str) -> HttpResponse:
    """The visits at the user's sites: due this month (the default), overdue, or all."""
    study = study_or_404(request, code)
    sites = access.visible_sites(request.user, study.sites.all())
    query = request.GET.copy()
    query.setdefault("show", schedule_list.DUE_THIS_MONTH)
    filters = FollowUpFilters(query, study=study, sites=sites)
    # The form says what is wrong with a date in the page's words; the API's parameters
    # judge every filter, with the dates in ISO (one not read left as typed, and refused).
    filters.is_valid()
    query = iso_dates(query, FollowUpFilters.DATES, study.date_format)
    try:
        params = schedule_list.schedule_params(query, study, sites, also_allowed=("page",))
    except ValidationError as error:
        params, refused = None, filters.with_refusals(error.detail)
    else:
        refused = {}
    if params is None:
        page, rows = Paginator(Visit.objects.none(), PAGE_SIZE).get_page(1), []
    else:
        visits = schedule_list.study_schedule(study, sites, params)
        found = schedule_list.counted_pages(study, sites, params, visits, PAGE_SIZE)
        page = found.get_page(request.GET.get("page"))
        rows = [shown(row) for row in schedule_list.page_rows(visits, list(page))]
    context = {
        "study": study,
        "filters": filters,
        "shown_lists": schedule_list.SHOWN,
        "done_rule": DONE_RULE,
        "query": query,
        "page": page,
        "rows": rows,
        "columns": sort_links(COLUMNS, request.GET, "ordering"),
        "csv_query": query.urlencode(),
        "problems": [
            *((filters[name].label, messages) for name, messages in filters.errors.items()),
            *((LABELS.get(name, name), messages) for name, messages in refused.items()),
        ],
    }
    return render(request, "web/follow_up.html", context, status=400 if params is None else 200)
