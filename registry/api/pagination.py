"""How the API's lists are paged: ?page= and ?page_size=, each checked (a 400 names a bad
value), and the patient list's pages answered from the cache (registry.api.caching)."""

from functools import partial

from django.conf import settings
from django.http import HttpResponse
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from registry.api import caching
from registry.jsontext import json_bytes
from registry.paging import CountedPaginator


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
    page_size_query_description = (
        f"Results per page, from 1 to {max_page_size} "
        f"(default {settings.REST_FRAMEWORK['PAGE_SIZE']})"
    )

    def get_page_size(self, request) -> int:
        value = request.query_params.get(self.page_size_query_param)
        # Left empty, as ?page= is: not given.
        if not value:
            return self.page_size
        if not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            message = f"A whole number from 1 to {self.max_page_size}"
            raise ValidationError({self.page_size_query_param: [message]})
        return int(value)

    def get_page_number(self, request, paginator) -> int:
        return self.checked_number(super().get_page_number(request, paginator))

    def checked_number(self, number: str | int) -> str | int:
        # A page past the end is a 404 (DRF's answer); a page that is not a number is a 400.
        if number in self.last_page_strings:
            return number
        if not str(number).isdigit():
            raise ValidationError({self.page_query_param: ["A page number: 1, 2, 3 …"]})
        return int(number)

    def paginate_counted(self, queryset, count: int, view) -> list:
        """paginate_queryset, for results whose count is known (registry.api.caching keeps
        the counts of the patient list)."""
        self.django_paginator_class = partial(CountedPaginator, count=count)
        return self.paginate_queryset(queryset, view.request, view)

    def page_found(self, ids: list[int]) -> dict:
        """The page just paginated, of the results `ids`, as the cache keeps it: without
        its links, which name the address asked for."""
        return {"count": self.page.paginator.count, "number": self.page.number, "ids": ids}

    def answer_page(self, request, page: dict) -> HttpResponse:
        """The answer for a page found by `page_found`, with its "results" as written JSON,
        and this request's links: the same JSON as get_paginated_response's."""
        self.request = request
        paginator = self.django_paginator_class(range(page["count"]), self.get_page_size(request))
        self.page = paginator.page(page["number"])
        links = {
            "count": page["count"],
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
        }
        # {"count":…,"next":…,"previous":…} with ,"results":[…] before the closing brace.
        written = json_bytes(links)[:-1] + b',"results":' + page["results"] + b"}"
        return caching.answer(request, written)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        described = {
            "count": "How many results there are in all",
            "next": "Address of the next page; null on the last",
            "previous": "Address of the previous page; null on the first",
            "results": "The results on this page",
        }
        for name, description in described.items():
            paginated["properties"][name]["description"] = description
        return paginated
