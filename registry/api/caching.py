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
  cached answer needs no checking again); and the registry's data version
  (registry.changes), which any write moves. A page's links name the address asked for:
  they are written for each request around the kept results.

Users who read the same sites share the pages: nothing else of theirs is in the answer.
An answer asked for in another form than plain JSON (the browsable API, indented JSON) is
read back from the kept bytes and rendered as asked.
"""

import json
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import TypeVar

from django.core.cache import cache
from django.http import HttpResponse, QueryDict
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from registry import access, changes
from registry.models import Patient

# Part of every key: bump it when the answers change shape.
ANSWERS_FORMAT = 2
TIMEOUT = 24 * 60 * 60
T = TypeVar("T")


@dataclass(frozen=True)
class PatientVersion:
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


def patient_version(user, pk: int | str) -> PatientVersion:
    """The patient's version, if `user` reads the patient; else Http404 (also for an id
    that is not a number)."""
    fields = ("pk", "version", "updated", "study__code", "site__code")
    rows = access.visible_patients(user).values_list(*fields)
    return PatientVersion(*get_object_or_404(rows, pk=pk))


def patient_detail(version: PatientVersion, compute: Callable[[], dict]) -> bytes:
    """The patient's detail as written JSON; `compute` gives it as data."""
    key = ("patient", version.pk, changes.digest(astuple(version)))
    return _cached(key, lambda: rendered(compute()))


def patient_page(user, query: QueryDict, compute: Callable[[], dict]) -> dict:
    """A page of the patients `user` reads, for the query string `query`: `compute` checks
    the query (a 400 naming what it refuses files nothing) and gives the page."""
    parameters = sorted(query.lists())
    return _cached(("patients", changes.digest([_list_version(user), parameters])), compute)


def rendered(data) -> bytes:
    """`data` written as the API's JSON renderer writes it."""
    return JSONRenderer().render(data)


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


def _list_version(user) -> list:
    columns = ("pk", "code", "study__code")
    sites = list(access.visible_sites(user).order_by("pk").values_list(*columns))
    return [sites, str(changes.data_version())]


def _cached(key: tuple, compute: Callable[[], T]) -> T:
    key = ":".join(["registry-api", str(ANSWERS_FORMAT), *map(str, key)])
    answer = cache.get(key)
    if answer is None:
        answer = compute()
        cache.set(key, answer, TIMEOUT)
    return answer
