"""Reads of patients with their whole course, for the API's answers."""

from collections import defaultdict, namedtuple
from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace

from django.db.models import F, Model

from registry import prepared
from registry.models import Patient
from registry.models.patient import age_years
from registry.sections import BY_KEY, LIST_KEYS, ONE_TO_ONE_KEYS


def patient_courses(pks: Sequence[int]) -> list[SimpleNamespace]:
    """The patients `pks` with every section of their course, in that order (a patient not
    found is left out), for registry.api.serializers.PatientSerializer: read as rows, each
    patient an object with the attributes the serializer reads of a model instance, each
    section record a named tuple of its columns.

    Model instances cost most of the time of a page of answers made anew: a page of 50
    patients has some 2,000 section records, and Django's prefetching makes an instance of
    each, links it to its patient and gives each patient a queryset per section. Rows cost a
    third of that; the API's tests check that both give the same answers. The one-to-one
    sections are read each on its own too: joined to the patients, they cost PostgreSQL
    more to plan than their queries cost. Each query's SQL is written once for each number
    of patients (registry.prepared): writing it costs the ORM about as much as running it.
    """
    if not pks:
        return []
    size = prepared.list_size(len(pks))
    names, query = _patients_query(size)
    rows = prepared.rows(query, **prepared.listed_values("patient", pks, size))
    found = {row["id"]: row for row in (dict(zip(names, values, strict=True)) for values in rows)}
    if not found:
        return []
    # The ids of the patients found, given once to every section's query.
    size = prepared.list_size(len(found))
    ids = prepared.listed_values("patient", list(found), size)
    lists = {name: _section_records(name, size, ids) for name in LIST_KEYS}
    one_to_one = {name: _section_records(name, size, ids) for name in ONE_TO_ONE_KEYS}
    return [_course(found[pk], lists, one_to_one) for pk in pks if pk in found]


@cache
def _patients_query(size: int) -> tuple[list[str], prepared.PreparedQuery]:
    """The names of the columns of a patient's row and the query reading those rows, for
    up to `size` patients (prepared.list_size), in no order: the order asked is the
    caller's."""
    columns = [field.attname for field in Patient._meta.concrete_fields]
    patients = Patient.objects.filter(pk__in=prepared.listed("patient", size)).order_by()
    query = patients.values_list(*columns, F("study__code"), F("site__code"))
    return [*columns, "study_code", "site_code"], prepared.prepared(query)


def _course(row: dict, lists: dict, one_to_one: dict) -> SimpleNamespace:
    pk, study, site = row["id"], row.pop("study_code"), row.pop("site_code")
    return SimpleNamespace(
        **row,
        study=SimpleNamespace(code=study),
        site=SimpleNamespace(code=site),
        age_years=age_years(row["birth_date"], row["first_infusion_date"], row["enrollment_date"]),
        **{name: records.get(pk, []) for name, records in lists.items()},
        **{name: records[pk][0] if pk in records else None for name, records in one_to_one.items()},
    )


def _section_records(section: str, size: int, ids: dict) -> dict[int, list[tuple]]:
    """The records of the section of the patients `ids` (the values of the placeholders
    `prepared.listed("patient", size)`), in the section's order, by patient."""
    record_type = _record_type(BY_KEY[section].model)
    records = defaultdict(list)
    for values in prepared.rows(_section_query(section, size), **ids):
        record = record_type(*values)
        records[record.patient_id].append(record)
    return records


@cache
def _section_query(section: str, size: int) -> prepared.PreparedQuery:
    """The query reading the records of the section of up to `size` patients
    (prepared.list_size), in the section's order."""
    model = BY_KEY[section].model
    records = model._default_manager.filter(patient__pk__in=prepared.listed("patient", size))
    return prepared.prepared(records.values_list(*_record_type(model)._fields))


@cache
def _record_type(model: type[Model]) -> type[tuple]:
    return namedtuple(model.__name__, [field.attname for field in model._meta.concrete_fields])
