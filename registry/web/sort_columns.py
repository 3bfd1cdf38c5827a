"""The columns of a page's table that sort it when their heading is clicked: the patient
list and the follow-up list alike (templates/web/partials/results_table.html)."""

from dataclasses import dataclass

from django.http import QueryDict


@dataclass(frozen=True)
class Column:
    label: str
    key: str = ""  # the sort key; empty when the column does not sort
    css: str = ""  # "num" aligns right; "wide" is left out on a tablet


def sort_links(columns: list[Column], query: QueryDict, parameter: str) -> list[dict]:
    """Each column with the sort its heading's link asks for, ascending first, then
    descending: the page's address with `parameter` set to it, back at the first page."""
    current = query.get(parameter, "")
    links = []
    for column in columns:
        direction = {column.key: "ascending", f"-{column.key}": "descending"}.get(current)
        if not column.key:
            direction = None
        following = f"-{column.key}" if direction == "ascending" else column.key
        address = query.copy()
        address[parameter] = following
        address.pop("page", None)
        links.append({"column": column, "direction": direction, "href": f"?{address.urlencode()}"})
    return links
