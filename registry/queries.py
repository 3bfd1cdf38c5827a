"""Data queries: a monitor asks about one value of a patient's course, the site answers, the
monitor closes the query, or confirms the value as correct. The registry asks too, by
itself (registry.quality): its queries are answered, closed and confirmed here alike.

Who does what follows the study roles (registry.access): the study's monitors, coordinators
and administrators open and close queries (`can_raise_queries`); whoever may change the
patient answers them (`can_edit_patient`). A query is not clinical data: it changes nothing
of the course and keeps no history of its own beyond who did what and when.
"""

from dataclasses import dataclass
from datetime import timedelta

import django_filters as filters
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from registry import access
from registry.course import stored_records
from registry.dates import quoted_value, record_name
from registry.models import DataQuery, Patient
from registry.quality_rules import RULES
from registry.sections import (
    BY_KEY,
    FIELD_CODES,
    PATIENT_TITLE,
    PLACE,
    place_title,
    section_title,
)
from registry.services import patient_locked
from registry.site_filters import SiteFilterForm, SiteFilterSet

# How the list names a query a person opened, beside the rules' codes.
BY_A_PERSON = "person"
RULE_CHOICES = [(code, f"{code}: {meaning}") for code, meaning in RULES.items()]
RULE_CHOICES.append((BY_A_PERSON, "opened by a person"))

# A place in the course (registry.sections.PLACE), as a query names it.
FIELD_EXAMPLES = "e.g. last_contact_date, eligibility.ecog or infusions[0].cells_per_kg"


def query_field_problem(field: str) -> str | None:
    """Why `field` names no place in a patient's course, or None when it does."""
    if not field:
        return f"Name the field the query is about: {FIELD_EXAMPLES}"
    match = PLACE.match(field)
    if match is None:
        return f"“{field}” is not a place in the course: {FIELD_EXAMPLES}"
    section, index, name = match.group("section", "index", "name")
    if name is None:
        if index is None and section in Patient.document_fields:
            return None
        return f"The patient has no field “{field}”: {FIELD_EXAMPLES}"
    found = BY_KEY.get(section)
    if found is None:
        return f"The course has no section “{section}” (in “{field}”)"
    if found.many and index is None:
        return f"Say which record of {section} “{field}” means, e.g. {section}[0].{name}"
    if not found.many and index is not None:
        return f"{section} is a single record: write {section}.{name}, not “{field}”"
    if name not in found.fields:
        return f"{section} has no field “{name}” (in “{field}”)"
    return None


@dataclass(frozen=True)
class Place:
    """A field of a patient's course a query may name: its place (as `field`) and how a
    monitor reads it, with its value now."""

    place: str
    label: str


def query_places(patient: Patient) -> list[Place]:
    """Every field of the patient's course as stored, in the course's order: the patient's
    own, then each section's record by record ("CAR-T infusions, record 1 (Humanized CD19
    CAR-T on 2019-01-15): dose (CAR-positive viable cells/kg) = 240000")."""
    date_format = patient.study.date_format
    found = [
        _place(patient, name, PATIENT_TITLE, name, date_format) for name in Patient.document_fields
    ]
    for key, records in stored_records(patient).items():
        if records is None:
            continue
        if not isinstance(records, list):
            found += [
                _place(records, name, section_title(key), f"{key}.{name}", date_format)
                for name in BY_KEY[key].fields
            ]
            continue
        for index, record in enumerate(records):
            where = f"{key}[{index}]"
            title = f"{place_title(where)} ({record_name(record, date_format)})"
            found += [
                _place(record, name, title, f"{where}.{name}", date_format)
                for name in BY_KEY[key].fields
            ]
    return found


def _place(record, name: str, title: str, place: str, date_format: str) -> Place:
    field = record._meta.get_field(name)
    value = getattr(record, name)
    label = f"{title}: {field.verbose_name}"
    if value is None or value == "" or value == []:
        return Place(place, label)
    if field.choices:
        shown = getattr(record, f"get_{name}_display")()
    elif name in FIELD_CODES:
        shown = FIELD_CODES[name].get(value, value)
    elif isinstance(value, bool):
        shown = "yes" if value else "no"
    elif isinstance(value, list):
        shown = ", ".join(str(item) for item in value)
    else:
        shown = quoted_value(value, date_format)
    return Place(place, f"{label} = {shown}")


class DataQueryFilterSet(SiteFilterSet):
    """The filters of a list of queries, for the API and the study's page alike; a site
    is one the user reads (SiteFilterSet)."""

    study = filters.CharFilter(field_name="patient__study__code", help_text="Study code")
    site = filters.CharFilter(
        field_name="patient__site__code",
        help_text="The code of a site you read; another is refused",
    )
    status = filters.ChoiceFilter(
        choices=DataQuery.Status.choices,
        help_text="open, answered, closed or confirmed (as correct)",
    )
    unresolved = filters.ChoiceFilter(
        choices=[("true", "open or answered"), ("false", "closed or confirmed")],
        method="filter_unresolved",
        help_text="true: open or answered, awaiting the site or the monitor; false: settled",
    )
    rule = filters.ChoiceFilter(
        choices=RULE_CHOICES,
        method="filter_rule",
        help_text="The data-quality rule that opened the query, or person",
    )
    older_than_days = filters.NumberFilter(
        method="filter_older_than",
        min_value=0,
        max_value=36500,
        help_text="Opened at least this many days ago",
    )

    class Meta:
        model = DataQuery
        form = SiteFilterForm
        fields = ["study", "site", "status", "unresolved", "rule", "older_than_days"]

    def filter_unresolved(self, queryset, name, value):
        if value == "true":
            return queryset.filter(status__in=DataQuery.UNRESOLVED)
        return queryset.exclude(status__in=DataQuery.UNRESOLVED)

    def filter_rule(self, queryset, name, value):
        return queryset.filter(rule="" if value == BY_A_PERSON else value)

    def filter_older_than(self, queryset, name, value):
        return queryset.filter(raised_at__lte=timezone.now() - timedelta(days=int(value)))


def visible_queries(user, queryset: QuerySet[DataQuery] | None = None) -> QuerySet[DataQuery]:
    """The queries of `queryset` (all by default) on patients `user` reads."""
    queryset = DataQuery.objects.all() if queryset is None else queryset
    return access.visible_records(user, queryset)


@dataclass(frozen=True)
class QueryCount:
    rule: str  # a rule's code, or BY_A_PERSON
    label: str
    unresolved: int  # open or answered
    oldest_days: int  # the oldest of them, in whole days


def unresolved_counts(user, study) -> list[QueryCount]:
    """The study's open or answered queries on patients `user` reads, by who opened them
    (each rule, or a person), in one grouped count; the rules with none are left out."""
    unresolved = DataQuery.objects.filter(patient__study=study, status__in=DataQuery.UNRESOLVED)
    rows = (
        visible_queries(user, unresolved)
        .order_by()
        .values("rule")
        .annotate(count=Count("pk"), oldest=Min("raised_at"))
    )
    found = {row["rule"] or BY_A_PERSON: row for row in rows}
    now = timezone.now()
    return [
        QueryCount(code, label, found[code]["count"], (now - found[code]["oldest"]).days)
        for code, label in RULE_CHOICES
        if code in found
    ]


def _check_may_raise(user: AbstractBaseUser, patient: Patient) -> None:
    if not access.can_raise_queries(user, patient.study):
        raise PermissionDenied(
            f"Only the monitors, coordinators and administrators of {patient.study.code} "
            "open and close data queries"
        )


def query_open(*, patient: Patient, field: str, question: str, user: AbstractBaseUser) -> DataQuery:
    """Ask the site about `field` of the patient's course."""
    _check_may_raise(user, patient)
    field = field.strip()
    problems = {}
    if problem := query_field_problem(field):
        problems["field"] = problem
    if not question.strip():
        problems["question"] = "Write the question for the site"
    if problems:
        raise ValidationError(problems)
    query = DataQuery(patient=patient, field=field, question=question.strip(), raised_by=user)
    with transaction.atomic():
        patient_locked(patient.pk)
        query.full_clean()
        query.save()
    return query


def query_answer(*, query: DataQuery, answer: str, user: AbstractBaseUser) -> DataQuery:
    """The site's answer to an open query."""
    if not access.can_edit_patient(user, query.patient):
        raise PermissionDenied("Only those who enter this patient's data answer its queries")
    with transaction.atomic():
        _read_locked(query)
        if not query.answerable:
            status = query.get_status_display().lower()
            raise ValidationError(f"This query is {status}: only an open query is answered")
        if not answer.strip():
            raise ValidationError({"answer": "Write the answer to the query"})
        query.answer = answer.strip()
        query.answered_by = user
        query.answered_at = timezone.now()
        query.status = DataQuery.Status.ANSWERED
        query.full_clean()
        query.save()
    return query


def query_close(*, query: DataQuery, user: AbstractBaseUser) -> DataQuery:
    """Close a query, answered or not: the question is settled. A query the registry opened
    is opened again at the next write while its rule still finds the value: to keep it
    settled, confirm the value as correct (`query_confirm`)."""
    return _settled(query, user, DataQuery.Status.CLOSED)


def query_confirm(*, query: DataQuery, user: AbstractBaseUser) -> DataQuery:
    """Settle a query by confirming the value as correct: the registry's rule that found it
    does not ask about it again while it stays as it is (registry.quality)."""
    return _settled(query, user, DataQuery.Status.CONFIRMED)


def _settled(query: DataQuery, user: AbstractBaseUser, status: str) -> DataQuery:
    _check_may_raise(user, query.patient)
    with transaction.atomic():
        _read_locked(query)
        if not query.unresolved:
            raise ValidationError(f"This query is {query.get_status_display().lower()} already")
        query.closed_by = user
        query.closed_at = timezone.now()
        query.status = status
        query.save()
    return query


def _read_locked(query: DataQuery) -> None:
    """Read `query` again as stored, locked with its patient until the transaction ends, as
    every write to the patient's course locks it (which opens and closes the registry's own
    queries): a step checks the status the step before it left. EditConflict when another
    user deleted the patient, and its queries with it, since the query was read."""
    patient_locked(query.patient_id)
    query.refresh_from_db(from_queryset=DataQuery.objects.select_for_update())
