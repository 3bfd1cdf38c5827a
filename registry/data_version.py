"""The registry's data version: what cached answers derived from the data are filed under.

The cached API answers (registry.api.caching), the analytics' results and each process's
data frames (analytics.caching, analytics.frames) are all kept until the data version
of the studies they show moves. Each study has its own, so a write to one study's data
leaves the answers of every other study in the cache; an answer showing several studies
(a list of the patients of every study the user reads) is filed under their versions
together (`studies_version`). A study's version has two parts, because writes reach the
database two ways:

- A token in the cache, the study's, replaced once a transaction that saved or deleted
  the study, one of its sites, timepoints or patients, or a section of one of its
  patients' course commits (not before: a request in between would file answers from
  the old data under the new token), and after a cohort import into the study. A patient
  or a site moved to another study replaces the tokens of both.
- The latest change the database holds: the latest `updated` of the study's patients and
  the latest row of their history, both read from indexes, at the same cost for a
  hundred patients or a hundred thousand (counting them would not be). A patient saved,
  created or imported moves `updated`, and so does any change to a section of its course
  (registry.services.patient_touched); a patient deleted leaves a history row. This part
  catches what sends no signal (the importer writes in bulk) and writes by another process
  whose cache is its own (local memory).

An in-place change of a section made with QuerySet.update() is the one write neither part
sees; the registry makes none.
"""

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, Subquery
from django.db.models.signals import post_delete, post_save, pre_save

from registry.models import Patient, Site, Study, Timepoint
from registry.models.patient import deleted_with_patient
from registry.sections import course_models
from registry.signals import cohort_imported

TOKEN_KEY = "registry:data-token"


@dataclass(frozen=True)
class DataVersion:
    token: str  # the studies' tokens, in the order of their ids
    updated: datetime | None  # the latest `updated` of their patients
    history_id: int | None  # the latest row of their patients' history

    def __str__(self) -> str:
        updated = self.updated.isoformat() if self.updated else "-"
        return f"{self.token}.{updated}.{self.history_id}"


def data_version(study_id: int) -> DataVersion:
    """The data version of one study."""
    return studies_version([study_id])


def studies_version(study_ids: Iterable[int]) -> DataVersion:
    """The data version of these studies together: it moves when any of theirs does."""
    study_ids = sorted(set(study_ids))
    patients = Patient.objects.filter(study_id__in=study_ids)
    history = Patient.history.filter(study_id__in=study_ids)
    latest_history = history.order_by("-history_id").values("history_id")[:1]
    latest = (
        patients.order_by("-updated")
        .annotate(history_id=Subquery(latest_history))
        .values_list("updated", "history_id")
        .first()
    )
    token = "+".join(data_token(study_id) for study_id in study_ids)
    return DataVersion(token, *(latest or (None, None)))


def data_token(study_id: int) -> str:
    """The study's token."""
    return cache_token(f"{TOKEN_KEY}:{study_id}")


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


def data_changed(sender, instance: Model | None = None, study: Study | None = None, **kwargs):
    """Replace the token of the study of `instance` (a saved or deleted record), or of
    `study` (a cohort import), once the current transaction commits. A section deleted
    with its patient is left to the patient's own deletion."""
    if deleted_with_patient(kwargs.get("origin")) and not isinstance(instance, Patient):
        return
    study_id = study.pk if study is not None else study_of(instance)
    if study_id is not None:
        studies_changed([study_id])


def study_left(sender, instance: Patient | Site, raw=False, **kwargs) -> None:
    """pre_save of a patient or a site: one moved to another study changes the study it
    leaves too, whose answers showed it."""
    if raw or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("study_id", flat=True).first()
    if stored is not None and stored != instance.study_id:
        studies_changed([stored])


def studies_changed(study_ids: Iterable[int]) -> None:
    """Replace the tokens of these studies once the current transaction commits."""
    keys = [f"{TOKEN_KEY}:{study_id}" for study_id in study_ids]
    transaction.on_commit(lambda: [replace_token(key) for key in keys])


def study_of(record: Model | None) -> int | None:
    """The id of the study whose data `record` is: the study itself, or a site, a
    timepoint, a patient or a section of a patient's course."""
    if record is None:
        return None
    if isinstance(record, Study):
        return record.pk
    if hasattr(record, "study_id"):
        return record.study_id
    patient_field = record._meta.get_field("patient")
    if patient_field.is_cached(record):
        return record.patient.study_id
    patients = Patient.objects.filter(pk=record.patient_id)
    return patients.values_list("study_id", flat=True).first()


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
    for model in [Site, Patient]:
        uid = f"registry-changes-{model._meta.model_name}-moved"
        pre_save.connect(study_left, sender=model, dispatch_uid=uid)
    cohort_imported.connect(data_changed, dispatch_uid="registry-changes-import")
