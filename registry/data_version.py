"""The registry's data version: what cached answers derived from the data are filed under.

The cached API answers (registry.api.caching), the analytics' results and each process's
data frames (analytics.caching, analytics.frames) are all kept until the data version
moves. It has two parts, because writes reach the database two ways:

- A token in the cache, replaced once a transaction that saved or deleted a study, a site,
  a patient or a section of a patient's course commits (not before: a request in between
  would file answers from the old data under the new token), and after a cohort import.
  One token for every study: a write anywhere files every answer anew, which is cheap to
  tell and rare beside reads.
- The latest change the database holds: the latest `updated` of a patient and the latest
  row of the patients' history, both read from indexes, at the same cost for a hundred
  patients or a hundred thousand (counting them would not be). A patient saved, created
  or imported moves `updated`, and so does any change to a section of its course
  (registry.services.patient_touched); a patient deleted leaves a history row. This part
  catches what sends no signal (the importer writes in bulk) and writes by another process
  whose cache is its own (local memory).

An in-place change of a section made with QuerySet.update() is the one write neither part
sees; the registry makes none.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save

from registry.models import Patient, Site, Study, Timepoint
from registry.sections import course_models
from registry.signals import cohort_imported

TOKEN_KEY = "registry:data-token"


@dataclass(frozen=True)
class DataVersion:
    token: str
    updated: datetime | None  # the latest `updated` of a patient
    history_id: int | None  # the latest row of the patients' history

    def __str__(self) -> str:
        updated = self.updated.isoformat() if self.updated else "-"
        return f"{self.token}.{updated}.{self.history_id}"


def data_version(study_id: int | None = None) -> DataVersion:
    """The data version of the whole registry, or of one study's patients."""
    patients, history = Patient.objects.all(), Patient.history.all()
    if study_id is not None:
        patients, history = patients.filter(study_id=study_id), history.filter(study_id=study_id)
    latest_history = history.order_by("-history_id").values("history_id")[:1]
    latest = (
        patients.order_by("-updated")
        .annotate(history_id=Subquery(latest_history))
        .values_list("updated", "history_id")
        .first()
    )
    return DataVersion(data_token(), *(latest or (None, None)))


def data_token() -> str:
    return cache_token(TOKEN_KEY)


def cache_token(key: str) -> str:
    """The token kept in the cache under `key`; a fresh random one if there is none."""
    token = cache.get(key)
    if token is None:
        # A fresh random token when there is none (never set, or evicted) cannot match a
        # key stored before, as a counter starting again from 0 could.
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key) or "-"
    return token


def replace_token(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, None)


def data_changed(sender, **kwargs) -> None:
    """Replace the token once the current transaction commits."""
    transaction.on_commit(lambda: replace_token(TOKEN_KEY))


def digest(value) -> str:
    """A short digest of `value` (anything JSON can write, with str for the rest), for a
    cache key."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def connect_signals() -> None:
    """Every record an answer shows, and the cohort import (RegistryConfig.ready)."""
    # A timepoint moves the visits of the follow-up schedule (registry.schedule).
    for model in [Study, Site, Timepoint, *course_models()]:
        uid = f"registry-changes-{model._meta.model_name}"
        post_save.connect(data_changed, sender=model, dispatch_uid=f"{uid}-saved")
        post_delete.connect(data_changed, sender=model, dispatch_uid=f"{uid}-deleted")
    cohort_imported.connect(data_changed, dispatch_uid="registry-changes-import")
