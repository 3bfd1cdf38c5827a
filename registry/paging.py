"""Pages of a list whose count is known already (kept in the cache), for the API and the
pages alike."""

from collections.abc import Callable

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from registry import data_version

COUNT_TIMEOUT = 24 * 60 * 60


class CountedPaginator(Paginator):
    """A paginator told how many results there are.

    A page in the second half of a queryset is read from the end, in the reverse order,
    and turned round: the database then walks past fewer rows to reach it (the last page
    of 100,000 patients as fast as the first). The queryset's order must be total, two
    rows never alike in it, for the reverse order to be the list reversed."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count

    def page(self, number) -> Page:
        page = super().page(number)  # its results a queryset not read yet
        before, after = page.start_index() - 1, self.count - page.end_index()
        if before > after and isinstance(self.object_list, QuerySet):
            from_end = self.object_list.reverse()[after : self.count - before]
            page.object_list = list(from_end)[::-1]
        return page


def kept_count(
    list_name: str,
    sites: list,
    version: data_version.DataVersion,
    filters: list[tuple[str, list[str]]],
    count: Callable[[], int],
) -> int:
    """How many patients of `sites` the list `list_name` (its parameters are its own)
    finds with `filters` (each parameter's name and values): kept in the cache under the
    data version of the parts of the data they read, else the number `count` gives, kept.
    One count serves every page and every order of the same filters; counting a large
    study's patients costs more than the rest of a page."""
    key = data_version.digest([sites, str(version), sorted(filters)])
    key = f"registry-count:{list_name}:{key}"
    found = cache.get(key)
    if found is None:
        found = count()
        cache.set(key, found, COUNT_TIMEOUT)
    return found
