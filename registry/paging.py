"""Pages of a list whose count is known already (kept in the cache), for the API and the
pages alike."""

from collections.abc import Callable

from django.core.cache import cache
from django.core.paginator import Paginator

from registry import data_version

COUNT_TIMEOUT = 24 * 60 * 60


class CountedPaginator(Paginator):
    """A paginator told how many results there are."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count


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
