"""The follow-up schedule: each patient's visits, kept current, and read with their status.

A visit is derived data (docs/architecture.md, "Derived data"): the timepoints of the
patient's study as they fall for that patient, computed by registry.follow_up from the
course. Like the patient's summary columns, the visits are made again in the writing
transaction: a write of a patient or of a section (`visits_after_write`, connected in
RegistryConfig.ready), a timepoint added, changed or removed (the study's visits), a
cohort import (`visits_after_import`, on registry.signals.cohort_imported).

The status of a visit is read, not stored: it depends on the day it is read and on the
clinical cut-off, both given to `with_status` and `status_filter`.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, models, transaction
from django.db.models import Case, CharField, Count, Max, Min, Q, QuerySet, Value, When

from registry import follow_up
from registry.choices import EventKind
from registry.follow_up import CourseFacts
from registry.models import FollowUpEvent, Infusion, Patient, Site, Study
from registry.models.patient import deleted_with_patient
from registry.models.schedule import Timepoint, Visit
from registry.sections import BY_KEY, DAY_KEYS, section_of

DONE, UPCOMING, DUE, OVERDUE, NOT_APPLICABLE = (
    "done",
    "upcoming",
    "due",
    "overdue",
    "not_applicable",
)
STATUS_LABELS = {
    DONE: "Done",
    UPCOMING: "Upcoming",
    DUE: "Due",
    OVERDUE: "Overdue",
    NOT_APPLICABLE: "Not applicable",
}
# What each status means, as the API's schema says it.
STATUS_HELP = (
    "done, upcoming (window not yet open, or not infused yet), due (window open), overdue "
    "(window closed, not done), not_applicable (died or withdrawn before the window opened, "
    "or window after the clinical cut-off)"
)

# The protocol's default schedule, given to every new study: (name, target day, window
# before, window after, expected sections).
DAILY = ("daily_assessments", "car_t_counts")
LATER = ("response_assessments", "events")
DEFAULT_TIMEPOINTS = (
    ("Screening", -14, 28, 14, ("eligibility",)),
    ("Day 7", 7, 1, 1, DAILY),
    ("Day 14", 14, 2, 2, DAILY),
    ("Day 21", 21, 2, 2, DAILY),
    ("Day 28", 28, 3, 3, (*DAILY, "response_assessments")),
    ("Month 3", 91, 14, 14, LATER),
    ("Month 6", 182, 14, 14, LATER),
    ("Month 9", 273, 21, 21, LATER),
    ("Month 12", 365, 30, 30, LATER),
    ("Month 18", 547, 30, 30, LATER),
    ("Month 24", 730, 30, 30, LATER),
)
CHUNK = 2000


def timepoints_default(*, study: Study) -> None:
    """Give a study without timepoints the protocol's default schedule."""
    if study.timepoints.exists():
        return
    Timepoint.objects.bulk_create(
        Timepoint(
            study=study,
            name=name,
            target_day=day,
            window_before=before,
            window_after=after,
            sections=list(sections),
        )
        for name, day, before, after, sections in DEFAULT_TIMEPOINTS
    )


def visits_refreshed(patients: QuerySet[Patient]) -> None:
    """Compute and store again the visits of `patients`, of one study or several."""
    ids = list(patients.values_list("pk", flat=True).order_by("pk"))
    if not ids:
        return
    plans = defaultdict(list)
    studies = patients.order_by().values("study_id")
    timepoints = Timepoint.objects.filter(study__in=studies).values_list(
        "pk", "study_id", "target_day", "window_before", "window_after", "sections"
    )
    # Each timepoint's plan made once, for all the patients of its study.
    for pk, study, day, before, after, sections in timepoints:
        plans[study].append((pk, follow_up.TimepointPlan(day, before, after, tuple(sections))))
    expected = {key for kept in plans.values() for _pk, plan in kept for key in plan.sections}
    for at in range(0, len(ids), CHUNK):
        _refresh(ids[at : at + CHUNK], plans, expected)


def _refresh(ids: list[int], plans: dict[int, list], expected: set[str]) -> None:
    patients, facts = course_facts(ids, expected)
    rows = []
    for pk, study, site in patients:
        course = facts[pk]
        for timepoint, plan in plans[study]:
            found = follow_up.visit(plan, course)
            rows.append(
                (
                    pk,
                    timepoint,
                    study,
                    site,
                    found.window_opens,
                    found.due_date,
                    found.window_closes,
                    found.done,
                    found.ended,
                )
            )
    with transaction.atomic():
        # Nothing refers to a visit and no receiver listens to its deletion: one DELETE,
        # without the rows fetched first. A model that came to refer to visits would need
        # the collector's delete() here instead.
        Visit.objects.filter(patient__in=ids)._raw_delete(Visit.objects.db)
        visit_rows_inserted(rows)


# A visit's columns as _refresh makes its rows.
VISIT_COLUMNS = (
    "patient_id",
    "timepoint_id",
    "study_id",
    "site_id",
    "window_opens",
    "due_date",
    "window_closes",
    "done",
    "ended",
)
INSERT_BATCH = 5000


def visit_rows_inserted(rows: list[tuple]) -> None:
    """Store `rows` (VISIT_COLUMNS) as visits."""
    plain_rows_inserted(Visit, VISIT_COLUMNS, rows)


def plain_rows_inserted(model: type[models.Model], columns: Sequence[str], rows: list[tuple]):
    """Store `rows` (values of `columns`) in `model`'s table: plain rows, no model instances
    made. On PostgreSQL by COPY, which sends them without quoting each value into the
    statement; elsewhere by one INSERT run over the rows, date-times adapted as Django
    stores them."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        adapt = connection.ops.adapt_datetimefield_value
        for at in range(0, len(rows), INSERT_BATCH):
            batch = [
                tuple(adapt(v) if isinstance(v, datetime) else v for v in row)
                for row in rows[at : at + INSERT_BATCH]
            ]
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def course_facts(
    ids: list[int], sections: Iterable[str]
) -> tuple[list[tuple[int, int, int]], dict[int, CourseFacts]]:
    """The patients `ids` as (pk, study, site), and what registry.follow_up reads of each
    one's course, for the `sections` asked."""
    sections = set(sections)
    rows = Patient.objects.filter(pk__in=ids).values_list(
        "pk", "study_id", "site_id", "last_contact_date"
    )
    patients, last_contact = [], {}
    for pk, study, site, contact in rows:
        patients.append((pk, study, site))
        last_contact[pk] = contact
    first_infusion = dict(
        Infusion.objects.filter(patient__in=ids)
        .values("patient")
        .annotate(first=Min("date"))
        .values_list("patient", "first")
    )
    events = (
        FollowUpEvent.objects.filter(patient__in=ids)
        .values("patient")
        .annotate(
            latest=Max("date"),
            death=Min("date", filter=Q(kind=EventKind.DEATH)),
            withdrawal=Min("date", filter=Q(kind=EventKind.WITHDRAWAL)),
        )
    )
    dated = {row["patient"]: row for row in events}
    days = defaultdict(lambda: defaultdict(set))
    recorded = defaultdict(set)
    for key in sections:
        records = BY_KEY[key].model.objects.filter(patient__in=ids)
        if key in DAY_KEYS:
            for patient, day in records.values_list("patient", "day").distinct():
                days[patient][key].add(day)
        elif key != follow_up.EVENTS:
            for patient in records.values_list("patient", flat=True).distinct():
                recorded[patient].add(key)
    empty = {}
    return patients, {
        pk: CourseFacts(
            first_infusion=first_infusion.get(pk),
            last_contact=last_contact[pk],
            latest_event=dated.get(pk, empty).get("latest"),
            death=dated.get(pk, empty).get("death"),
            withdrawal=dated.get(pk, empty).get("withdrawal"),
            days={key: frozenset(found) for key, found in days[pk].items()},
            recorded=frozenset(recorded[pk]),
        )
        for pk in ids
    }


def visits_after_write(sender, instance, origin=None, **kwargs) -> None:
    """post_save and post_delete of a patient or a section: that patient's visits again.
    Not for records deleted with their patient, whose visits go with it."""
    if deleted_with_patient(origin):
        return
    pk = instance.pk if sender is Patient else instance.patient_id
    if sender is Patient and not Patient.objects.filter(pk=pk).exists():
        return
    if sender is not Patient and not _visits_read(sender, pk):
        return
    visits_refreshed(Patient.objects.filter(pk=pk))


def _visits_read(model: type[models.Model], patient_id: int) -> bool:
    """Whether the patient's visits read the records of `model`, a section of the course:
    the infusions (the first one's date) and the follow-up events always, another section
    where a timepoint of the patient's study expects it (CourseFacts)."""
    if model in (Infusion, FollowUpEvent):
        return True
    key = section_of(model).key
    expected = Timepoint.objects.filter(study__patients=patient_id).values_list(
        "sections", flat=True
    )
    return any(key in sections for sections in expected)


def visits_after_timepoint_change(sender, instance: Timepoint, **kwargs) -> None:
    """A timepoint added, changed or removed: the visits of its study's patients again."""
    visits_refreshed(Patient.objects.filter(study_id=instance.study_id))


def visits_after_import(sender, study: Study, **kwargs) -> None:
    visits_refreshed(study.patients.all())


def timepoints_with_new_study(sender, instance: Study, created: bool, raw=False, **kwargs) -> None:
    if created and not raw:
        timepoints_default(study=instance)


def _status_conditions(cutoff: date | None, today: date) -> dict[str, Q]:
    """Each status with its condition on a visit's columns (registry.follow_up's rules):
    one holds for every visit. Each is written out whole, without negations, so that a
    list or a count of one status reads the visits' status index alone."""
    applicable = Q(done=False, ended="")
    if cutoff:
        applicable &= Q(window_opens__isnull=True) | Q(window_opens__lte=cutoff)
    ended = ~Q(ended="")
    if cutoff:
        ended |= Q(window_opens__gt=cutoff)
    open_now = Q(window_opens__lte=today, window_closes__gte=today)
    return {
        DONE: Q(done=True),
        NOT_APPLICABLE: Q(done=False) & ended,
        UPCOMING: applicable & (Q(window_opens__isnull=True) | Q(window_opens__gt=today)),
        DUE: applicable & open_now,
        OVERDUE: applicable & Q(window_closes__lt=today),
    }


def status_filter(status: str, cutoff: date | None, today: date) -> Q:
    """The visits whose status is `status` on `today`, at the clinical cut-off."""
    return _status_conditions(cutoff, today)[status]


def with_status(visits: QuerySet[Visit], cutoff: date | None, today: date) -> QuerySet[Visit]:
    """The visits annotated with `status` and, when not applicable, `reason`."""
    conditions = _status_conditions(cutoff, today)
    return visits.annotate(
        status=Case(
            *(When(condition, then=Value(name)) for name, condition in conditions.items()),
            output_field=CharField(),
        ),
        reason=Case(
            When(done=True, then=Value("")),
            When(ended=follow_up.DIED, then=Value("died")),
            When(ended=follow_up.WITHDRAWN, then=Value("withdrawn")),
            When(conditions[NOT_APPLICABLE], then=Value("after the clinical cut-off")),
            When(window_opens__isnull=True, then=Value("not infused yet")),
            default=Value(""),
            output_field=CharField(),
        ),
    )


@dataclass(frozen=True)
class Completeness:
    """A site's (or the study's) follow-up completeness: the visits done among those
    expected by now (done or overdue), and Clark's completeness index."""

    label: str
    done: int
    expected: int
    clark: float | None

    @property
    def share_done(self) -> float | None:
        return self.done / self.expected if self.expected else None


def completeness(
    study: Study, sites: QuerySet[Site], cutoff: date | None, today: date
) -> list[Completeness]:
    """Each of `sites`' follow-up completeness, then the whole of them as the study's."""
    end = min(cutoff, today) if cutoff else today
    visits = Visit.objects.filter(study=study, site__in=sites)
    done, overdue = (status_filter(s, cutoff, today) for s in (DONE, OVERDUE))
    counts = {
        row["site"]: row
        for row in visits.values("site").annotate(
            done_count=Count("pk", filter=done), expected_count=Count("pk", filter=done | overdue)
        )
    }
    follow_ups = defaultdict(list)
    patients = study.patients.filter(site__in=sites, first_infusion_date__lte=end)
    for site, first, last, died in patients.values_list(
        "site", "first_infusion_date", "last_contact_date", "died"
    ):
        follow_ups[site].append(follow_up.follow_up_days(first, last, died, end))
    rows = []
    for site in sites.order_by("code"):
        count = counts.get(site.pk, {"done_count": 0, "expected_count": 0})
        index = follow_up.completeness_index(follow_ups[site.pk])
        rows.append(Completeness(str(site), count["done_count"], count["expected_count"], index))
    every = [pair for pairs in follow_ups.values() for pair in pairs]
    total_done = sum(row.done for row in rows)
    total = sum(row.expected for row in rows)
    rows.append(Completeness("All sites", total_done, total, follow_up.completeness_index(every)))
    return rows
