"""Pages of a list whose count is known already (kept in the cache), for the API and the
pages alike."""

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """A paginator told how many results there are."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count
