"""Cached answers of the patient list and of a patient's detail, kept as written JSON.

Turning patients into JSON costs far more than reading them (a list page of 50 patients
holds some 15,000 values), so each answer is kept in the cache (Redis with REDIS_URL, else
each process's memory) as the bytes the JSON renderer wrote, under a key naming
everything the answer depends on, read afresh for every request:

- A patient's detail: the patient's id, version and `updated`, and the codes of its study
  and site. Every save or deletion of the patient or of a section of its course moves
  `updated` (registry.services), and the cohort import stamps each patient it writes. The
  query that reads these is also the access check: a patient the user does not read is
  not found.
- A page of the list: the sites whose patients the user reads, with their codes and their
  studies' codes (a role granted or taken away, a site or a study renamed: another key);
  the query string as sent (only a query the filters accepted has an answer filed, so a
  cached answer needs no checking again); and the data version of the parts of those
  studies' data that decide which patients the page holds (registry.data_version): the
  patients' own rows, the studies' setup, and the sections that the query's filters and
  order read (`FILTERS_READ`, `ORDERING_READ`). A write to another section (a daily
  assessment, for a list filtered on the day-30 response) leaves the page. A page is
  kept as the ids of its patients, with its count; each patient's detail is read from
  the cache as above, under its version read afresh with the page: the page shows a
  write to one of its patients at once, and after such a write only that patient's
  detail is made anew. A page's links name the address asked for: they are written for
  each request around the results. A list's count is kept under the same version, for
  every page of the same filters (counting a large study's patients costs
  more than the rest of the page).

Users who read the same sites share the pages: nothing else of theirs is in the answer.
An answer asked for in another form than plain JSON (the browsable API, indented JSON) is
read back from the kept bytes and rendered as asked.
"""

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import NamedTuple, TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models import Model
from django.http import Http404, HttpResponse, QueryDict
from rest_framework.request import Request
from rest_framework.response import Response

from registry import access, data_version, paging, patient_filters, prepared
from registry.jsontext import JSONRenderer, json_bytes
from registry.models import Patient
from registry.sections import BY_KEY

# Part of every key: bump it when the answers change shape.
ANSWERS_FORMAT = 5
# The sections of a course that each filter of the list reads (registry.patient_filters)
# besides the patient's own row, and the parameters that only order, page or format the
# list.
FILTERS_READ: dict[str, tuple[type[Model], ...]] = {
    "study": (),
    "search": (),
    **patient_filters.FILTERS_READ,
}
PAGING = {"page", "page_size", "ordering", "format"}
# The sections each column the list is ordered by is kept from (Patient.SUMMARY_FROM);
# the others are the patient's own.
ORDERING_READ: dict[str, tuple[type[Model], ...]] = {
    column: (BY_KEY[section].model,)
    for section, columns in Patient.SUMMARY_FROM.items()
    for column in columns
}
TIMEOUT = 24 * 60 * 60
T = TypeVar("T")


class PatientVersion(NamedTuple):
    """What a patient's detail shows that can change, as stored now."""

    pk: int
    version: int
    updated: datetime
    study_code: str
    site_code: str

    @property
    def record(self) -> Patient:
        """The patient as far as its ETag (registry.api.audit) needs it."""
        return Patient(pk=self.pk, version=self.version)


VERSION_FIELDS = ("pk", "version", "updated", "study__code", "site__code")
# The patient's own columns of its version; the codes are read from its site's row.
VERSION_COLUMNS = ("pk", "version", "updated", "site_id")


def patient_version(user, pk: int | str) -> PatientVersion:
    """The patient's version, if `user` reads the patient; else Http404 (also for an id
    that is not a number)."""
    found = access.visible_patient_row(user, _patient_id(pk), VERSION_FIELDS)
    if found is None:
        raise Http404
    return PatientVersion(*found)


def _patient_id(pk: int | str) -> int:
    """`pk` as a patient's id; Http404 for what cannot be one (not a whole number, or
    out of the column's range), as no patient has it."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    lowest, highest = connection.ops.integer_field_range(Patient._meta.pk.get_internal_type())
    if not lowest <= number <= highest:
        raise Http404
    return number


def patient_detail(version: PatientVersion, compute: Callable[[], dict]) -> bytes:
    """The patient's detail as written JSON; `compute` gives it as data."""
    return _cached(detail_key(version), lambda: json_bytes(compute()))


def patient_page(
    user,
    query: QueryDict,
    find: Callable[[Callable[[Callable[[], int]], int], list[int]], dict],
    compute: Callable[[list[int]], Sequence[dict]],
) -> dict:
    """A page of the patients `user` reads, for the query string `query`, with its
    patients' details as one written JSON list under "results".

    `find` checks the query (a 400 naming what it refuses files nothing) and gives the
    page: its "count", "number" and "ids". It is given `counted`, which answers the
    count kept for the query's filters, or keeps the count its argument returns, and the
    ids of the sites whose patients `user` reads. The page is kept as its ids; the
    details of its patients not kept, `compute` gives as data, in the order asked.
    """
    sites = _sites(user)
    version = data_version.studies_version((site[3] for site in sites), _read_by(query))
    key = _key(("patients", data_version.digest([sites, str(version), sorted(query.lists())])))
    page = cache.get(key)
    if page is None:
        site_ids = [site[0] for site in sites]
        filters = [(name, values) for name, values in query.lists() if name not in PAGING]
        page = find(partial(paging.kept_count, "api-patients", sites, version, filters), site_ids)
        cache.set(key, page, TIMEOUT)
    codes = {site[0]: (site[2], site[1]) for site in sites}
    return page | {"results": _patient_details(page["ids"], codes, compute)}


def _read_by(query: QueryDict) -> set[type[Model]] | None:
    """The sections the filters and the order of `query` read besides the patients' own
    rows; None when it names a parameter of no known filter."""
    read = patient_filters.filters_read(
        (name for name in query if name not in PAGING), FILTERS_READ
    )
    if read is None:
        return None
    columns = (column for value in query.getlist("ordering") for column in value.split(","))
    for column in columns:
        read.update(ORDERING_READ.get(column.lstrip("-"), ()))
    return read


def _patient_details(
    pks: list[int],
    codes: dict[int, tuple[str, str]],
    compute: Callable[[list[int]], Sequence[dict]],
) -> bytes:
    """The details of the patients `pks` (which the caller found the user reads) as one
    written JSON list, in that order: those kept at their version are read back;
    `compute` gives the others, which are kept. `codes`: the study's and the site's code
    of each site the user reads, by its id, which complete each patient's version without
    joining their tables. A patient deleted, or moved to a site the user does not read,
    since the caller found it is left out."""
    keys = {
        pk: detail_key(PatientVersion(pk, version, updated, *codes[site]))
        for pk, version, updated, site in _versions(pks)
        if site in codes
    }
    pks = [pk for pk in pks if pk in keys]
    kept = cache.get_many(list(keys.values()))
    missing = [pk for pk in pks if keys[pk] not in kept]
    if missing:
        computed = {
            keys[pk]: json_bytes(data) for pk, data in zip(missing, compute(missing), strict=True)
        }
        cache.set_many(computed, TIMEOUT)
        kept |= computed
    return _json_list(kept[keys[pk]] for pk in pks)


def _versions(pks: list[int]) -> list[tuple]:
    """The VERSION_COLUMNS of the patients `pks` still stored."""
    if not pks:
        return []
    size = prepared.list_size(len(pks))
    return prepared.rows(_versions_query(size), **prepared.listed_values("patient", pks, size))


@functools.cache
def _versions_query(size: int) -> prepared.PreparedQuery:
    """The SQL of `_versions` for up to `size` patients (prepared.list_size), made once."""
    patients = Patient.objects.filter(pk__in=prepared.listed("patient", size)).order_by()
    return prepared.prepared(patients.values_list(*VERSION_COLUMNS))


def _json_list(items: Iterable[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


def answer(request: Request, written: bytes) -> HttpResponse:
    """The answer to `request` of JSON already written: sent as it is when plain JSON was
    asked for (nearly always), else read back and rendered as asked."""
    renderer = request.accepted_renderer
    if (
        type(renderer) is JSONRenderer
        and renderer.get_indent(request.accepted_media_type, {}) is None
    ):
        return HttpResponse(written, content_type=renderer.media_type)
    return Response(json.loads(written))


def _sites(user) -> list:
    return access.visible_site_rows(user, ("pk", "code", "study__code", "study_id"))


def detail_key(version: PatientVersion) -> str:
    """The key the patient's detail is kept under, at this version: its values as they
    are, made for every patient of a page (codes are letters, digits, '-' and '_')."""
    pk, number, updated, study_code, site_code = version
    return _key(("patient", pk, number, updated.isoformat(), study_code, site_code))


def _key(parts: tuple) -> str:
    return ":".join(["registry-api", str(ANSWERS_FORMAT), *map(str, parts)])


def _cached(key: str, compute: Callable[[], T]) -> T:
    answer = cache.get(key)
    if answer is None:
        answer = compute()
        cache.set(key, answer, TIMEOUT)
    return answer
