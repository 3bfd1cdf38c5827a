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
  cached answer needs no checking again); and the data version, as for the analytics'
  results (analytics.caching): the latest change the database holds (`_latest_change`),
  which the cohort import moves although its bulk writes send no post_save, and a token
  replaced once a transaction that saved or deleted a study, site, patient or section
  commits, or an import. Both are global: any write files every page anew, which is cheap
  to tell and rare beside reads. A page's links name the address asked for: they are
  written for each request around the kept results.

Users who read the same sites share the pages: nothing else of theirs is in the answer.
An answer asked for in another form than plain JSON (the browsable API, indented JSON) is
read back from the kept bytes and rendered as asked.
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse, QueryDict
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from registry import access
from registry.interchange.schema import SECTIONS
from registry.models import Patient, Site, Study
from registry.signals import cohort_imported

# Part of every key: bump it when the answers change shape.
ANSWERS_FORMAT = 2
TIMEOUT = 24 * 60 * 60
TOKEN_KEY = "registry-api:data-token"
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
    key = ("patient", version.pk, _digest(astuple(version)))
    return _cached(key, lambda: rendered(compute()))


def patient_page(user, query: QueryDict, compute: Callable[[], dict]) -> dict:
    """A page of the patients `user` reads, for the query string `query`: `compute` checks
    the query (a 400 naming what it refuses files nothing) and gives the page."""
    parameters = sorted(query.lists())
    return _cached(("patients", _digest([_list_version(user), parameters])), compute)


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
    return [sites, _latest_change(), data_token()]


def _latest_change() -> tuple | None:
    """The latest `updated` of a patient and the latest row of the patients' history.

    Both come from indexes, in a query that costs the same for a hundred patients or a
    hundred thousand (counting the patients would not). A patient saved, created or
    imported moves `updated`, and so does any change to a section of its course; a
    patient deleted leaves a history row.
    """
    history = Patient.history.order_by("-history_id").values("history_id")[:1]
    latest = Patient.objects.order_by("-updated").annotate(change=Subquery(history))
    return latest.values_list("updated", "change").first()


def _cached(key: tuple, compute: Callable[[], T]) -> T:
    key = ":".join(["registry-api", str(ANSWERS_FORMAT), *map(str, key)])
    answer = cache.get(key)
    if answer is None:
        answer = compute()
        cache.set(key, answer, TIMEOUT)
    return answer


def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def data_token() -> str:
    token = cache.get(TOKEN_KEY)
    if token is None:
        # A fresh random token when there is none (never set, or evicted) cannot match a
        # key stored before, as a counter starting again from 0 could.
        cache.add(TOKEN_KEY, uuid.uuid4().hex, None)
        token = cache.get(TOKEN_KEY) or "-"
    return token


def data_changed(sender, **kwargs) -> None:
    """Replace the token once the current transaction commits: not before, or a request
    in between would file answers from the old data under the new token."""
    transaction.on_commit(lambda: cache.set(TOKEN_KEY, uuid.uuid4().hex, None))


def connect_signals() -> None:
    """Every record a patient's answers show, and the cohort import, which writes in bulk
    (RegistryConfig.ready)."""
    sections = [model for model, _is_list in SECTIONS.values()]
    for model in [Study, Site, Patient, *sections]:
        uid = f"registry-api-{model._meta.model_name}"
        post_save.connect(data_changed, sender=model, dispatch_uid=f"{uid}-saved")
        post_delete.connect(data_changed, sender=model, dispatch_uid=f"{uid}-deleted")
    cohort_imported.connect(data_changed, dispatch_uid="registry-api-import")
