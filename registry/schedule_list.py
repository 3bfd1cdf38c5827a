"""A study's follow-up list: its visits with their status, filtered and sorted by the same
parameters on the page (/studies/CODE/follow-up/), in the API
(/api/v1/studies/CODE/schedule/) and in its CSV. A bad parameter is refused, named, with
what it takes."""

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO

from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from rest_framework import serializers

from registry import schedule
from registry.data_version import data_version, digest
from registry.models import Site, Study, Timepoint, Visit
from registry.paging import CountedPaginator
from registry.parameters import CutoffField, clinical_cutoff, given_params, query_problems
from registry.site_filters import site_named
from registry.validators import EARLIEST_DATE

DUE_THIS_MONTH, OVERDUE, ALL = "due_this_month", "overdue", "all"
SHOWN = {
    DUE_THIS_MONTH: "Due this month",
    OVERDUE: "Overdue",
    ALL: "All visits",
}
# Each sort key with the columns it orders by; then the date, the patient and the
# timepoint keep one order for visits alike in it, so pages neither repeat nor skip one.
ORDERINGS = {
    "due_date": ("due_date",),
    "study_id": ("patient__subject_id",),
    "site": ("site__code",),
    "timepoint": ("timepoint__target_day",),
}
SORTS = [*ORDERINGS, *(f"-{key}" for key in ORDERINGS)]
# Far enough ahead for any planning; a day beyond cannot be a date in the database.
LATEST_ON = date(2100, 12, 31)


def _choice(choices: list[str]) -> dict:
    return {"invalid_choice": f"{{input!r}} is not one of: {', '.join(choices)}"}


ON_HELP = (
    "The day the statuses are read on (YYYY-MM-DD), as a coordinator planning ahead asks "
    "what will be due or overdue then; today without it"
)


class ScheduleParams(serializers.Serializer):
    show = serializers.ChoiceField(
        choices=list(SHOWN),
        required=False,
        error_messages=_choice(list(SHOWN)),
        help_text="due_this_month: the visits not done whose target day is in the month of "
        "`on`, not yet missed; overdue: those whose window has closed without them being "
        "done; all (default): every visit",
    )
    status = serializers.ChoiceField(
        choices=list(schedule.STATUS_LABELS),
        required=False,
        error_messages=_choice(list(schedule.STATUS_LABELS)),
        help_text=schedule.STATUS_HELP,
    )
    site = serializers.CharField(
        required=False, help_text="The code of a site you read; another is refused"
    )
    timepoint = serializers.CharField(required=False, help_text="Timepoint name, e.g. Day 28")
    due_from = serializers.DateField(required=False, help_text="Target day on or after")
    due_to = serializers.DateField(required=False, help_text="Target day on or before")
    on = serializers.DateField(required=False, help_text=ON_HELP)
    cutoff = CutoffField(
        help_text="Clinical cut-off (YYYY-MM-DD): a visit whose window opens after it is not "
        "applicable; without it, the study's data cut-off; `none`: no cut-off"
    )
    ordering = serializers.ChoiceField(
        choices=SORTS,
        required=False,
        error_messages=_choice(SORTS),
        help_text="due_date (default), study_id, site or timepoint; with a leading - for "
        "the reverse order",
    )

    # Without a study and its sites only in the API's schema, which lists the fields.
    def __init__(
        self, *args, study: Study | None = None, sites: QuerySet[Site] | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.study, self.sites = study, sites

    def validate_site(self, code: str) -> Site:
        return site_named(self.sites, code)

    def validate_timepoint(self, name: str) -> Timepoint:
        timepoint = self.study.timepoints.filter(name=name).first()
        if timepoint is None:
            names = ", ".join(self.study.timepoints.values_list("name", flat=True))
            raise serializers.ValidationError(f"No timepoint {name!r} in this study: {names}")
        return timepoint

    def validate_on(self, day: date) -> date:
        if not EARLIEST_DATE <= day <= LATEST_ON:
            raise serializers.ValidationError(
                f"Give a day from {EARLIEST_DATE.isoformat()} to {LATEST_ON.isoformat()}"
            )
        return day

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("due_from"), attrs.get("due_to")
        if start and end and start > end:
            raise serializers.ValidationError({"due_to": "Give a day on or after due_from"})
        return attrs


def schedule_params(
    query: QueryDict, study: Study, sites: QuerySet[Site], also_allowed: tuple[str, ...] = ()
) -> dict:
    """The validated parameters of a follow-up list; a ValidationError naming each bad or
    unknown parameter. `also_allowed`: the caller's own (a page number)."""
    names = list(ScheduleParams._declared_fields)
    errors = query_problems(query, [*names, *also_allowed])
    # A filter left empty (the page's "Any") is no filter.
    params = ScheduleParams(data=given_params(query, names), study=study, sites=sites)
    if not params.is_valid():
        errors |= params.errors
    if errors:
        raise serializers.ValidationError(errors)
    return params.validated_data


def study_schedule(study: Study, sites: QuerySet[Site], params: dict) -> QuerySet[Visit]:
    """The visits at `sites` that `params` (schedule_params) ask for, with their status."""
    today = params.get("on") or timezone.localdate()
    cutoff = clinical_cutoff(params.get("cutoff"), study.data_cutoff)
    # The sites as a list of ids, which the planner matches against the visits' indexes.
    visits = Visit.objects.filter(study=study, site__in=list(sites.values_list("pk", flat=True)))
    if params.get("site"):
        visits = visits.filter(site=params["site"])
    if params.get("timepoint"):
        visits = visits.filter(timepoint=params["timepoint"])
    if params.get("status"):
        visits = visits.filter(schedule.status_filter(params["status"], cutoff, today))
    if params.get("due_from"):
        visits = visits.filter(due_date__gte=params["due_from"])
    if params.get("due_to"):
        visits = visits.filter(due_date__lte=params["due_to"])
    visits = visits.filter(_shown(params.get("show") or ALL, cutoff, today))
    key = params.get("ordering") or "due_date"
    descending = key.startswith("-")
    # Then by date, patient and timepoint (one visit each): columns of the visits' own
    # index, so that a page of a list in its default order is read off it.
    columns = [*ORDERINGS[key.lstrip("-")], "due_date", "patient_id", "timepoint_id"]
    # Visits without dates (no infusion yet) after the others, the reverse order the list
    # reversed; the database's own placing of nulls, which its indexes keep.
    visits = visits.order_by(
        *(F(c).desc() if descending else F(c).asc(nulls_last=True) for c in columns)
    )
    return schedule.with_status(visits, cutoff, today)


COUNT_TIMEOUT = 24 * 3600


def visit_count(study: Study, sites: QuerySet[Site], params: dict, visits: QuerySet[Visit]) -> int:
    """How many visits the list has, kept under the data version, the sites, the
    parameters and the day: a study's visits are ten times its patients, and counting most
    of them again for each page would cost more than the page."""
    today = params.get("on") or timezone.localdate()
    asked = {name: getattr(value, "pk", value) for name, value in params.items()}
    where = [study.pk, str(data_version(study.pk)), sorted(s.pk for s in sites), asked, today]
    count = visits.values_list("pk", flat=True).count
    return cache.get_or_set(f"schedule-count:{digest(where)}", count, COUNT_TIMEOUT)


def counted_pages(
    study: Study, sites: QuerySet[Site], params: dict, visits: QuerySet[Visit], per_page: int
) -> CountedPaginator:
    """The list's pages of visit ids (page_rows gives their rows)."""
    count = visit_count(study, sites, params, visits)
    return CountedPaginator(visits.values_list("pk", flat=True), per_page, count=count)


def _shown(show: str, cutoff: date | None, today: date) -> Q:
    if show == OVERDUE:
        return schedule.status_filter(schedule.OVERDUE, cutoff, today)
    if show == DUE_THIS_MONTH:
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        still_open = schedule.status_filter(schedule.DUE, cutoff, today) | (
            schedule.status_filter(schedule.UPCOMING, cutoff, today)
        )
        return still_open & Q(due_date__gte=first, due_date__lt=following)
    return Q()


# Each column of a visit, as the API, the CSV and the pages give it, with where it is read.
COLUMNS = {
    "patient": "patient_id",
    "study_id": "patient__subject_id",
    "site": "site__code",
    "timepoint": "timepoint__name",
    "target_day": "timepoint__target_day",
    "window_opens": "window_opens",
    "due_date": "due_date",
    "window_closes": "window_closes",
    "status": "status",
    "reason": "reason",
}
CSV_COLUMNS = [name for name in COLUMNS if name != "patient"]


def visit_rows(visits: QuerySet[Visit], *, stream: bool = True) -> Iterator[dict]:
    """The visits (with_status), each as a dict of COLUMNS, in their order: read in chunks
    (on PostgreSQL through a server-side cursor, which costs round trips of its own), or
    unless `stream` all at once, as a single patient's few are best read."""
    values = visits.values_list(*COLUMNS.values())
    for row in values.iterator(chunk_size=5000) if stream else values:
        yield dict(zip(COLUMNS, row, strict=True))


def page_rows(visits: QuerySet[Visit], ids: list[int]) -> list[dict]:
    """The rows of a page whose visits' ids were read first: the list's page is found in
    the visits' own index, and only its rows are joined to their patients, sites and
    timepoints."""
    return list(visit_rows(visits.filter(pk__in=ids)))


def schedule_csv(visits: QuerySet[Visit]) -> Iterator[str]:
    """The visits as CSV lines, a header first; dates YYYY-MM-DD, empty when unknown."""
    buffer = StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in visit_rows(visits):
        writer.writerow(row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
