"""Reads of patients with the status columns lists and filters need, in one query."""

from django.db.models import Exists, Expression, OuterRef, QuerySet, Subquery

from registry.choices import EventKind, PriorTherapyKind
from registry.models import FollowUpEvent, Patient, PriorTherapy, ResponseAssessment

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
