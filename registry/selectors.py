"""Reads of patients with the status columns lists and filters need, in one query, and of
patients with their whole course, for the API's answers."""

from collections import defaultdict, namedtuple
from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace

from django.db.models import Exists, Expression, F, Model, OuterRef, QuerySet, Subquery

from registry.choices import EventKind, PriorTherapyKind
from registry.course import LIST_SECTIONS, ONE_TO_ONE_SECTIONS
from registry.models import FollowUpEvent, Patient, PriorTherapy, ResponseAssessment
from registry.models.patient import age_years

# The day-30 response is the earliest response assessment from day 21 to day 45.
DAY_30_WINDOW = (21, 45)


def day_30_assessments():
    return ResponseAssessment.objects.filter(
        patient=OuterRef("pk"), day__range=DAY_30_WINDOW
    ).order_by("day")


def _prior(kind: str):
    return Exists(PriorTherapy.objects.filter(patient=OuterRef("pk"), kind=kind))


def _event(kind: str):
    return Exists(FollowUpEvent.objects.filter(patient=OuterRef("pk"), kind=kind))


def _status() -> dict[str, Expression]:
    return {
        "d30_status": Subquery(day_30_assessments().values("status")[:1]),
        "prior_allo_hct": _prior(PriorTherapyKind.ALLO_HCT),
        "prior_cd22_cart": _prior(PriorTherapyKind.CD22_CART),
        "relapsed": _event(EventKind.RELAPSE),
        "died": _event(EventKind.DEATH),
    }


def patients_with_status(queryset: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """Patients with `d30_status`, `prior_allo_hct`, `prior_cd22_cart`, `relapsed`, `died`."""
    queryset = Patient.objects.all() if queryset is None else queryset
    return queryset.annotate(**_status())


def patients_filterable_by_status(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    """The same status columns as aliases: there to filter or order by, and in the SQL only
    when a filter or the ordering uses them.

    Selecting them for a whole study costs PostgreSQL a scan of the prior-therapy, response
    and event tables for each page: pick a page's patients from this, then read those
    patients through `patients_with_status`.
    """
    return queryset.alias(**_status())


def patients_with_day_30_response(
    queryset: QuerySet[Patient], status: str | None
) -> QuerySet[Patient]:
    """The patients of `queryset` whose day-30 response is `status`; None: not assessed in
    the window.

    The same patients as filtering `d30_status`, put as "an assessment in the window with
    this status and none earlier in it" (a patient has one assessment a day), which
    PostgreSQL plans as joins and estimates well: filtering the first status of each
    patient, it expects a few hundred patients of 100,000 where there are tens of thousands
    and picks a plan that is slow for so many.
    """
    in_window = day_30_assessments()
    if status is None:
        return queryset.filter(~Exists(in_window))
    earlier = ResponseAssessment.objects.filter(
        patient=OuterRef("patient"), day__gte=DAY_30_WINDOW[0], day__lt=OuterRef("day")
    )
    return queryset.filter(Exists(in_window.filter(status=status).filter(~Exists(earlier))))


def patient_courses(pks: Sequence[int]) -> list[SimpleNamespace]:
    """The patients `pks` with their status columns and every section of their course, in
    that order (a patient not found is left out), for registry.api.serializers.
    PatientSerializer: read as rows, each patient an object with the attributes the
    serializer reads of a model instance, each section record a named tuple of its columns.

    Model instances cost most of the time of a page of answers made anew: a page of 50
    patients has some 2,000 section records, and Django's prefetching makes an instance of
    each, links it to its patient and gives each patient a queryset per section. Rows cost a
    third of that; the API's tests check that both give the same answers.
    """
    columns = [field.attname for field in Patient._meta.concrete_fields]
    patients = patients_with_status(Patient.objects.filter(pk__in=pks)).values(
        *columns, *_status(), study_code=F("study__code"), site_code=F("site__code")
    )
    found = {row["id"]: row for row in patients}
    lists = {name: _section_records(name, found) for name in LIST_SECTIONS}
    one_to_one = {name: _section_records(name, found) for name in ONE_TO_ONE_SECTIONS}
    return [_course(found[pk], lists, one_to_one) for pk in pks if pk in found]


def _course(row: dict, lists: dict, one_to_one: dict) -> SimpleNamespace:
    pk, study, site = row["id"], row.pop("study_code"), row.pop("site_code")
    return SimpleNamespace(
        **row,
        study=SimpleNamespace(code=study),
        site=SimpleNamespace(code=site),
        age_years=age_years(row["birth_date"], row["first_infusion_date"], row["enrollment_date"]),
        **{name: records.get(pk, []) for name, records in lists.items()},
        **{name: records[pk][0] if pk in records else None for name, records in one_to_one.items()},
    )


def _section_records(section: str, pks) -> dict[int, list[tuple]]:
    """The records of the section of the patients `pks`, in the section's order, by patient."""
    model = Patient._meta.get_field(section).related_model
    record_type = _record_type(model)
    records = defaultdict(list)
    rows = model._default_manager.filter(patient_id__in=pks).values_list(*record_type._fields)
    for values in rows:
        record = record_type(*values)
        records[record.patient_id].append(record)
    return records


@cache
def _record_type(model: type[Model]) -> type[tuple]:
    return namedtuple(model.__name__, [field.attname for field in model._meta.concrete_fields])
