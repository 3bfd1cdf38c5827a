"""Cached analytics results, invalidated by any write to a study's data.

A result is stored under: the study, the endpoint, its normalised parameters and the
study's data version. The data version has two parts, because writes reach the database
two ways:

- a token in the cache, replaced (after the transaction commits) whenever a study or one
  of its sites is saved, or a section of one of its patients is saved or deleted, one
  record at a time: the admin, the API. The receivers are connected in AnalyticsConfig.ready().
- a fingerprint read from the database in one cheap query: the number of the study's
  patients, their highest id and their latest `updated`. The cohort importer writes with
  bulk_create/bulk_update, which send no signals, but it creates patients or stamps every
  patient it re-imports with a new `updated`; patient saves and deletions change it too,
  and so does every save or deletion of a section (registry.services). The fingerprint
  also catches imports run by another process (manage.py import_cohort) when each process
  has its own local-memory cache.

With a read replica (config.routers), the fingerprint is read there, as the rows are: a
result computed while the replica lags is filed under the fingerprint of the data it saw,
and the replica catching up moves the fingerprint on.

An in-place change of a section made with QuerySet.update() is the one write neither part
sees; the registry makes none.

Results are cached. The data frame they are computed from is kept in each process's
memory and brought up to date at each new data version (analytics.frames); at a data
cut-off, the frame of each set of filters is cached with the results.
"""

import gc
import hashlib
import json
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, QuerySet

from config.routers import use_replica
from registry import models
from registry.interchange.schema import SECTIONS

# Part of every key: bump it when the results of a given dataset change shape or meaning.
RESULTS_FORMAT = 1
TIMEOUT = 24 * 60 * 60
T = TypeVar("T")


@dataclass(frozen=True)
class DataVersion:
    """A study's data version: the token, and the fingerprint of its patients."""

    token: str
    patients: int
    last_id: int | None
    updated: datetime | None  # the latest `updated` of the study's patients

    def __str__(self) -> str:
        updated = self.updated.isoformat() if self.updated else "-"
        return f"{self.token}.{self.patients}.{self.last_id}.{updated}"


@dataclass(frozen=True)
class StudyCache:
    """One study's cached results at its data version, read once per request."""

    study_id: int
    version: DataVersion

    def get(self, name: str, params: dict, compute: Callable[[], T]) -> T:
        """The value for this name and these parameters; computed and stored if absent."""
        key = f"analytics:{RESULTS_FORMAT}:{self.study_id}:{self.version}:{name}:{_digest(params)}"
        value = cache.get(key)
        if value is None:
            with collector_paused():
                value = compute()
            cache.set(key, value, TIMEOUT)
        return value


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, and back on after if it was on before.

    Computing a result for ten thousand patients allocates a million-odd rows, tuples and
    dicts, none in a reference cycle, which reference counting frees; the collector, set
    off every 700 allocations, would walk them again and again: a sixth of a cold request.
    Process-wide, but harmless to a concurrent request: only the collection of cycles is
    put off, and only the outermost pause turns the collector back on.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def study_cache(study: models.Study) -> StudyCache:
    return StudyCache(study.pk, data_version(study))


def _digest(params: dict) -> str:
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# On the replica, as the rows are (analytics.dataset): a result is filed under the version
# of the data it was computed from, even while the replica lags behind.
@use_replica()
def data_version(study: models.Study) -> DataVersion:
    fingerprint = models.Patient.objects.filter(study=study).aggregate(
        n=Count("pk"), last=Max("pk"), updated=Max("updated")
    )
    return DataVersion(
        _token(study.pk), fingerprint["n"], fingerprint["last"], fingerprint["updated"]
    )


def _token_key(study_id: int) -> str:
    return f"analytics:data-token:{study_id}"


def _token(study_id: int) -> str:
    # A fresh random token when there is none (never set, or evicted) cannot match a key
    # stored before, as a counter starting again from 0 could.
    cache.add(_token_key(study_id), uuid.uuid4().hex, None)
    return cache.get(_token_key(study_id)) or "-"


def study_data_changed(study_id: int | None) -> None:
    """Invalidate the study's cached results once the current transaction commits.

    Not before: a request between the write and the commit would otherwise cache results of
    the old data under the new token.
    """
    if study_id is not None:
        transaction.on_commit(lambda: cache.set(_token_key(study_id), uuid.uuid4().hex, None))


def study_saved(sender, instance: models.Study, **kwargs) -> None:
    study_data_changed(instance.pk)


def site_saved(sender, instance: models.Site, **kwargs) -> None:
    study_data_changed(instance.study_id)


def section_saved(sender, instance, **kwargs) -> None:
    study_data_changed(_study_of(instance))


# Bulk deletions already handled, so that deleting many rows costs one query, not one each.
_deletions_seen: weakref.WeakSet = weakref.WeakSet()


def section_deleting(sender, instance, origin=None, **kwargs) -> None:
    """pre_delete: the rows still exist, so a bulk deletion's studies can be read once."""
    if isinstance(origin, QuerySet) and _study_path(origin.model):
        if origin in _deletions_seen:
            return
        _deletions_seen.add(origin)
        studies = origin.values_list(_study_path(origin.model), flat=True).distinct()
        for study_id in studies.order_by():
            study_data_changed(study_id)
    elif isinstance(origin, models.Patient):
        study_data_changed(origin.study_id)
    else:
        study_data_changed(_study_of(instance))


def _study_path(model) -> str | None:
    if model is models.Patient:
        return "study_id"
    return "patient__study_id" if model in section_models() else None


def _study_of(section) -> int | None:
    if type(section).patient.is_cached(section):
        return section.patient.study_id
    return (
        models.Patient.objects.filter(pk=section.patient_id)
        .values_list("study_id", flat=True)
        .first()
    )


def section_models() -> list[type]:
    return [model for model, _is_list in SECTIONS.values()]
