"""A section's changes written in bulk by the cohort import, each row's history row with
it (registry.interchange.importer)."""

from django.db import connection, connections

from registry.interchange.matching import SectionChanges
from registry.schedule import plain_rows_inserted
from registry.services import IMPORT_REASON

BATCH = 900  # stays under SQLite's limit of bound parameters per statement


def section_written(changes: SectionChanges, new_patients: set[int], user, now) -> None:
    """Write one section's changes, each record's history row with it.

    The history is written with one INSERT ... SELECT per batch of rows, rather than
    through simple-history's bulk_create_with_history: building a historical instance for
    each of a large cohort's hundreds of thousands of rows would double the import's time.
    Django's delete() would be slower still: it loads every row to send the signals
    simple-history listens to, and writes their history one at a time.
    """
    model = changes.model
    deleted = changes.deleted
    _record_history(model, "id", deleted, "-", user, now)
    for ids in batches(deleted):
        model.objects.filter(pk__in=ids)._raw_delete(connection.alias)
    model.objects.bulk_update(
        changes.changed, [*model.document_fields, "version"], batch_size=BATCH
    )
    _record_history(model, "id", [record.pk for record in changes.changed], "~", user, now)
    # Every record of a new patient is new: stored without its id read back, its history
    # is found by its patient, in far fewer statements than by its own id.
    _rows_inserted(model, [row for row in changes.created if row[0] in new_patients])
    _record_history(model, "patient", sorted(new_patients), "+", user, now)
    added = [
        model(patient_id=patient_id, **values)
        for patient_id, values in changes.created
        if patient_id not in new_patients
    ]
    model.objects.bulk_create(added, batch_size=BATCH)
    _record_history(model, "id", [record.pk for record in added], "+", user, now)


def _rows_inserted(model, created: list[tuple[int, dict]]) -> None:
    """Store new records, each its patient's id and its values, as plain rows
    (plain_rows_inserted): each value made ready for the database as bulk_create makes it,
    without a model instance. A section has no field set as it is saved (auto_now)."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = {field.attname: field.get_default() for field in fields}
    ready = [(field.attname, _database_value(model, field)) for field in fields]
    rows = []
    for patient_id, values in created:
        record = {**defaults, **values, "patient_id": patient_id}
        rows.append(tuple(prepared(record[name]) for name, prepared in ready))
    plain_rows_inserted(model, [field.column for field in fields], rows)


def _database_value(model, field):
    """`field`'s get_db_prep_save, worked out once for each value of a type that repeats
    (a day, a code, a patient's id); a float is made ready each time, as 0.0 and -0.0 are
    the same key."""
    database = connections[model.objects.db]  # not its proxy, looked up for each value
    made: dict = {}

    def prepared(value):
        if type(value) is float:
            return field.get_db_prep_save(value, database)
        key = (type(value), value)
        try:
            return made[key]
        except KeyError:
            found = made[key] = field.get_db_prep_save(value, database)
            return found
        except TypeError:  # unhashable: a list
            return field.get_db_prep_save(value, database)

    return prepared


def batches(values: list) -> list[list]:
    return [values[start : start + BATCH] for start in range(0, len(values), BATCH)]


def _record_history(model, by: str, values: list, history_type: str, user, when) -> None:
    """Copy the rows of `model` whose field `by` is one of `values` into its history, as
    simple-history would."""
    quote = connection.ops.quote_name
    history = model.history.model
    columns = ", ".join(quote(tracked.column) for tracked in history.tracked_fields)
    stamp = ", ".join(
        quote(column)
        for column in ("history_date", "history_type", "history_user_id", "history_change_reason")
    )
    column = quote(model._meta.get_field(by).column)
    for batch in batches(values):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}, {stamp}) "
                f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {column} IN ({', '.join(['%s'] * len(batch))})",
                [
                    connection.ops.adapt_datetimefield_value(when),
                    history_type,
                    user.pk if user else None,
                    IMPORT_REASON,
                    *batch,
                ],
            )
