"""The registry's data as it stands, or as it stood at the end of a past day.

Every write of clinical data leaves a row in the audit trail (django-simple-history; the
cohort importer writes its rows in bulk, see registry.interchange.importer). So the data
as it stood at any moment can be rebuilt: each record as its latest history row up to that
moment, unless that row records its deletion. Analytics and exports take such an
as-recorded date as `as_of=YYYY-MM-DD` (not a clinical cut-off: registry.cutoff): asked
again with the same date after later corrections, they give the same answer, so a
published analysis can be reproduced.

The readers here serve both: `as_of=None` is the data as it stands.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.utils import timezone

from config.collector import chunk_freed, collector_paused
from registry import models
from registry.sections import SECTIONS

# Patients loaded at a time by `courses`: one chunk is in memory, whatever the cohort size.
CHUNK = 500


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in the registry's time zone (settings.TIME_ZONE)."""
    midnight = datetime.combine(day + timedelta(days=1), time.min)
    return timezone.make_aware(midnight) - timedelta(microseconds=1)


def records(model: type[Model], as_of: date | None = None) -> QuerySet:
    """The model's records as they stand, or as they stood at the end of day `as_of`.

    A snapshot is a queryset of the model's history, so its records keep their own `id`
    (its `pk` is the history row's): name `id`, not `pk`, in what is asked of either.
    """
    if as_of is None:
        return model._default_manager.all()
    return model.history.as_of(end_of_day(as_of)).order_by()


def future_date_problem(day: date) -> str | None:
    """Why `day` cannot be an as-recorded date (as_of), or None: its end must not be still
    to come."""
    today = timezone.localdate()
    if day > today:
        return f"The as-recorded date cannot be after today ({today.isoformat()})."
    return None


def unsettled_day_notice(as_of: str) -> str | None:
    """What to say of an answer as recorded on `as_of` (YYYY-MM-DD): that its data can still
    change, for today; None for a day that has ended."""
    today = timezone.localdate()
    if as_of != today.isoformat():
        return None
    return (
        f"The data cut-off {as_of} is today: until the day ends the data can still change, "
        "and the same request may then answer differently"
    )


def courses(patients: QuerySet, as_of: date | None = None) -> Iterator[models.Patient]:
    """The patients, in the queryset's order, each with its site and every section loaded.

    `patients` is a queryset of `records(Patient, as_of)`. They are read CHUNK at a time,
    in a constant number of queries per chunk (the patients, then one per section), so a
    patient's sections are reached through its relations without a query, and only one
    chunk is in memory. The collector is paused while they are read, the chunks' cycles
    freed at the end of each.
    """
    ids = list(patients.values_list("id", flat=True))
    sites = {}
    # Between the collections that free each chunk, the collector would walk the chunk's
    # records, and what the reader makes of them, again and again (config.collector).
    with collector_paused():
        for start in range(0, len(ids), CHUNK):
            yield from _chunk(ids[start : start + CHUNK], as_of, sites)
            chunk_freed()


def _chunk(ids: list[int], as_of: date | None, sites: dict) -> list[models.Patient]:
    """The patients of these ids, in their order, with site and sections loaded; `sites`
    is the reader's cache of sites by id."""
    found = records(models.Patient, as_of).filter(id__in=ids)
    loaded = {patient.id: patient for patient in _instances(models.Patient, found)}
    sites |= models.Site.objects.in_bulk(
        {patient.site_id for patient in loaded.values()} - sites.keys()
    )
    for patient in loaded.values():
        _attach(patient, "site", sites[patient.site_id])
    patients = [loaded[id] for id in ids]
    _load_sections(patients, as_of)
    return patients


def _load_sections(patients: list[models.Patient], as_of: date | None) -> None:
    """Fill the patients' section relations as prefetch_related would, from a snapshot too."""
    by_id = {patient.id: patient for patient in patients}
    for section in SECTIONS:
        name, model = section.key, section.model
        found = {patient_id: [] for patient_id in by_id}
        rows = records(model, as_of).filter(patient_id__in=by_id).order_by(*_ordering(model))
        of_patient = model._meta.get_field("patient")
        for record in _instances(model, rows):
            patient = by_id[record.patient_id]
            of_patient.set_cached_value(record, patient)
            found[record.patient_id].append(record)
        for patient_id, items in found.items():
            patient = by_id[patient_id]
            if section.many:
                set_prefetched(patient, name, items)
            else:
                relation = models.Patient._meta.get_field(name)
                relation.set_cached_value(patient, items[0] if items else None)


def _instances(model: type[Model], queryset: QuerySet) -> Iterator[Model]:
    """The queryset's records as instances of `model`, built straight from their values: a
    snapshot's history rows (which carry the model's fields under the same names) are not
    built as objects of their own first. Fields the history does not keep (what a patient
    summarises of its course, `Patient.SUMMARY_FROM`: the sections') are left deferred."""
    kept = {field.attname for field in queryset.model._meta.concrete_fields}
    names = [field.attname for field in model._meta.concrete_fields if field.attname in kept]
    # The database once: asking the queryset for it consults the routers each time.
    db = queryset.db
    for values in queryset.values_list(*names).iterator(chunk_size=2000):
        yield _loaded(model, db, names, values)


def _loaded(model: type[Model], db: str, names: list[str], values: tuple) -> Model:
    """The instance `model.from_db(db, names, values)` makes, its fields set at once.

    from_db runs the model's __init__, which sets each field through its descriptor and
    sends the init signals: for the hundred thousand records of a few thousand courses, a
    large part of reading them. The registry's models have no __init__ of their own and
    nothing listens to their init signals, so the instance is the same.
    """
    record = model.__new__(model)
    record.__dict__.update(zip(names, values, strict=True))
    record._state = ModelState()
    record._state.adding = False
    record._state.db = db
    return record


def _ordering(model: type[Model]) -> list[str]:
    """The model's own ordering, in names a snapshot takes too, with the id last."""
    names = ["id" if name == "pk" else name for name in model._meta.ordering]
    return [*names, "id"] if "id" not in names else names


def _attach(record: Model, name: str, related: Model) -> None:
    record._meta.get_field(name).set_cached_value(record, related)


def set_prefetched(patient: models.Patient, name: str, items: list) -> None:
    """Load the patient's list section `name` with these records."""
    # What Django's prefetch_related stores for a reverse foreign key: a queryset of the
    # relation whose results are already there, under the relation's cache name.
    manager = getattr(patient, name)
    queryset = manager.get_queryset()
    queryset._result_cache = items
    queryset._prefetch_done = True
    patient._prefetched_objects_cache = getattr(patient, "_prefetched_objects_cache", {})
    patient._prefetched_objects_cache[manager.field.remote_field.cache_name] = queryset
