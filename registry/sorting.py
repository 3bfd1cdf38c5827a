"""Patients sorted by the columns a user chooses: the API's ?ordering= and the web list's
sort links."""

import django_filters
from django.db.models import QuerySet


class ThenByStudyId(django_filters.OrderingFilter):
    """Sorts by the columns chosen, then by study and study id, in the direction of the last
    column chosen. Patients alike in those columns (infused the same day, the same day-30
    response) keep one order, so a page never shows a patient the previous page showed,
    and the reverse sort is the list reversed."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs  # the list's own order
        ordering = [self.get_ordering_value(param) for param in value]
        direction = "-" if ordering[-1].startswith("-") else ""
        return qs.order_by(*ordering, f"{direction}study_id", f"{direction}subject_id")
