"""The registry's data version: what cached answers derived from the data are filed under.

The cached API answers (registry.api.caching), the analytics' results and each process's
data frames (analytics.caching, analytics.frames) are all kept until the data version
of the studies they show moves. Each study has its own, so a write to one study's data
leaves the answers of every other study in the cache; an answer showing several studies
(a list of the patients of every study the user reads) is filed under their versions
together (`studies_version`).

A study's data come in **parts**, each with a token of its own in the cache: the study's
setup (the study, its sites and its timepoints: `SETUP`), the patients' own rows, and each
section of a course (`part_of`). An answer that reads only some parts (a list of patients
filtered on their own columns and the day-30 response) is filed under the version of
those parts (`studies_version(..., reads=...)`), which a write to another part (a daily
assessment) leaves as it was; an answer that reads the whole course (a statistic) is filed
under the version of every part. A version of some parts or of all of them has two halves,
because writes reach the database two ways:

- The tokens in the cache of the parts read, each replaced once a transaction that saved
  or deleted a record of that part commits (not before: a request in between would file
  answers from the old data under the new token), and all of a study's after a cohort
  import into it. A patient or a site moved to another study replaces every token of the
  study it leaves.
- The latest change the database holds: the latest row of the history of the study's
  patients and, of the parts read, of the history of each section's records (of every
  study's: see `_latest_history`); for the whole version, also the latest `updated` of the
  study's patients. Each is read from an index, at the same
  cost for a hundred patients or a hundred thousand (counting them would not be). A
  patient saved, created or imported moves `updated` and leaves a history row, and so
  does any change to a section of its course (registry.services.patient_touched; the
  importer writes each section's history); a patient deleted leaves a history row. This
  half catches what sends no signal (the importer writes in bulk) and writes by another
  process whose cache is its own (local memory).

An in-place change of a section made with QuerySet.update() is the one write neither half
sees; the registry makes none.
"""

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import router, transaction
from django.db.models import Manager, Model, QuerySet, Subquery
from django.db.models.signals import post_delete, post_save, pre_save

from registry import prepared
from registry.models import Patient, Site, Study, Timepoint
from registry.models.patient import deleted_with_patient
from registry.sections import course_models
from registry.signals import cohort_imported

TOKEN_KEY = "registry:data-token"
# The part of a study's data that is its setup: the study itself, its sites, its timepoints.
SETUP = "setup"


@dataclass(frozen=True)
class DataVersion:
    token: str  # the tokens of the studies' parts read, in the order of their ids
    updated: datetime | None  # the latest `updated` of their patients (whole versions)
    history_id: int | None  # the latest row of their patients' history
    # The latest row of the history of each section read (versions of some parts).
    sections_history: tuple[int | None, ...] = ()
    # The version of every part, read with that of some parts at no further cost: a result
    # filed under some parts is computed from a frame current at the whole version.
    whole: "DataVersion | None" = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        updated = self.updated.isoformat() if self.updated else "-"
        sections = ".".join(map(str, self.sections_history))
        return f"{self.token}.{updated}.{self.history_id}.{sections}"


def data_version(study_id: int) -> DataVersion:
    """The data version of one study."""
    return studies_version([study_id])


def studies_version(
    study_ids: Iterable[int], reads: Iterable[type[Model]] | None = None
) -> DataVersion:
    """The data version of these studies together: it moves when any of theirs does.

    `reads`: the models an answer reads besides the patients' own rows and the studies'
    setup (which every answer reads); the version of those parts only. None: every part.
    """
    study_ids = tuple(sorted(set(study_ids)))
    read = None
    if reads is not None:
        read = tuple(
            sorted(
                {model for model in reads if model is not Patient},
                key=lambda model: (part_of(model), model._meta.model_name),
            )
        )
    updated, history_id, *sections = _latest_changes(study_ids, read)
    if read is None:
        return DataVersion(parts_token(study_ids, parts()), updated, history_id)
    names = sorted({SETUP, part_of(Patient), *map(part_of, read)})
    # Every part's token, and those of the parts read that are not the course's (the
    # casebook's signatures, which a filter reads), in one round trip.
    course = parts()
    every = [*course, *(name for name in names if name not in course)]
    tokens = dict(zip(every, _tokens(study_ids, every), strict=True))
    whole = DataVersion("+".join(tokens[name] for name in course), updated, history_id)
    token = "+".join(tokens[name] for name in names)
    return DataVersion(token, None, history_id, tuple(sections), whole)


def _latest_changes(study_ids: tuple[int, ...], read: tuple | None) -> tuple:
    """The latest change the database holds of these studies: their patients' latest
    `updated`, the latest row of their history and, unless `read` is None, of the history
    of each of the sections `read`. Read where the router sends the patients' reads."""
    found = []
    if study_ids:
        found = prepared.rows(_latest_changes_query(router.db_for_read(Patient), study_ids, read))
    return found[0] if found else (None, None, *(None for _ in read or ()))


@functools.lru_cache(maxsize=256)
def _latest_changes_query(
    alias: str, study_ids: tuple[int, ...], read: tuple | None
) -> prepared.PreparedQuery:
    """The query of `_latest_changes`, made once for each set of studies and of sections
    read: it is the same at every request, and making it (a subquery per section) costs
    more than running it."""
    history = history_of(Patient).filter(study_id__in=study_ids)
    latest_history = Subquery(history.order_by("-history_id").values("history_id")[:1])
    patients = Patient.objects.filter(study_id__in=study_ids).order_by("-updated")
    if read is None:
        query = patients.annotate(history_id=latest_history).values_list("updated", "history_id")
    else:
        # One row of the studies' own table, only to carry the latest rows: of the
        # patients' history, of each section's read, and the patients' latest `updated`.
        columns = {
            f"latest_{at}": _latest_history(model, study_ids) for at, model in enumerate(read)
        }
        query = (
            Study.objects.filter(pk__in=study_ids[:1])
            .order_by("pk")
            .annotate(
                latest_updated=Subquery(patients.values("updated")[:1]),
                history_id=latest_history,
                **columns,
            )
            .values_list("latest_updated", "history_id", *columns)
        )
    return prepared.prepared(query.using(alias)[:1])


def part_version(study_id: int, model: type[Model]) -> str:
    """The version of one part of a study's data alone, the records of `model`: its token
    and the latest row of their history. What is read from that part only (the values of
    one lab analyte of the study's patients) is kept under it, which a write to another
    part leaves as it was."""
    latest = _latest_history_rows(model, (study_id,)).values_list("history_id", flat=True)
    return f"{parts_token([study_id], [part_of(model)])}.{latest.first()}"


def _latest_history(model: type[Model], study_ids: tuple[int, ...]) -> Subquery:
    """The latest row of the history of the records of `model` (see _latest_history_rows)."""
    return Subquery(_latest_history_rows(model, study_ids).values("history_id")[:1])


def _latest_history_rows(model: type[Model], study_ids: tuple[int, ...]) -> QuerySet:
    """The rows of the history of the records of `model`, the latest first: of these
    studies' own for the setup's tables, which name their study; of every study's for a
    section's. A section's history names no study, and finding this study's latest row
    through the patients costs a large study more at every request than a cached answer
    saves: a write to a section in another study moves this study's version too, which is
    never stale, only less precise."""
    history = history_of(model)
    if model is Study:
        history = history.filter(id__in=study_ids)
    elif _names_its_study(model):
        history = history.filter(study_id__in=study_ids)
    return history.order_by("-history_id")


@functools.cache
def _names_its_study(model: type[Model]) -> bool:
    return any(field.name == "study" for field in model._meta.get_fields())


@functools.cache
def history_of(model: type[Model]) -> Manager:
    """The manager of the history of `model`'s records. Kept: `model.history` makes a new
    manager class at each reading (simple_history's descriptor), which a request reading
    the data version would pay for every history it reads."""
    return model.history


def part_of(model: type[Model]) -> str:
    """The part of a study's data a record of `model` is: the study's setup, or the
    table of the patients' own rows or of a section (its model's name)."""
    if model in (Study, Site, Timepoint):
        return SETUP
    return model._meta.model_name


def parts() -> list[str]:
    """Every part of a study's data that has a token: the setup, the patients' own rows and
    each section's."""
    return [SETUP, *(model._meta.model_name for model in course_models())]


def data_token(study_id: int) -> str:
    """The study's token: those of every part of its data together."""
    return parts_token([study_id], parts())


def parts_token(study_ids: Iterable[int], names: Iterable[str]) -> str:
    """The tokens of these parts of these studies' data together, read in one round trip;
    a fresh random one for each that has none."""
    return "+".join(_tokens(study_ids, names))


def _tokens(study_ids: Iterable[int], names: Iterable[str]) -> list[str]:
    """Each part's tokens, those of the studies joined, in the order of `names`."""
    study_ids = list(study_ids)
    keys = [[_part_key(study_id, name) for study_id in study_ids] for name in names]
    every = [key for part in keys for key in part]
    tokens = cache.get_many(every)
    missing = [key for key in every if key not in tokens]
    if missing:
        for key in missing:
            cache.add(key, uuid.uuid4().hex, None)
        tokens |= cache.get_many(missing)
    return ["+".join(tokens.get(key, "-") for key in part) for part in keys]


def _part_key(study_id: int, name: str) -> str:
    return f"{TOKEN_KEY}:{study_id}:{name}"


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
    """Replace the token of the part of `instance` (a saved or deleted record) of its
    study's data, or every token of `study` (a cohort import), once the current
    transaction commits. A section deleted with its patient is left to the patient's own
    deletion, which replaces every token of the study: its sections go with it."""
    origin = kwargs.get("origin")
    if deleted_with_patient(origin) and not isinstance(instance, Patient):
        return
    if study is not None:
        studies_changed([study.pk])
        return
    study_id = study_of(instance)
    if study_id is not None:
        deleted = isinstance(instance, Patient) and kwargs.get("signal") is post_delete
        studies_changed([study_id], None if deleted else [part_of(type(instance))])


def study_left(sender, instance: Patient | Site, raw=False, **kwargs) -> None:
    """pre_save of a patient or a site: one moved to another study changes the study it
    leaves too, whose answers showed it."""
    if raw or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("study_id", flat=True).first()
    if stored is not None and stored != instance.study_id:
        studies_changed([stored])


def studies_changed(study_ids: Iterable[int], names: Iterable[str] | None = None) -> None:
    """Replace the tokens of these parts of these studies' data (None: every part) once
    the current transaction commits."""
    names = parts() if names is None else list(names)
    keys = [_part_key(study_id, name) for study_id in study_ids for name in names]
    transaction.on_commit(lambda: cache.set_many({key: uuid.uuid4().hex for key in keys}, None))


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
