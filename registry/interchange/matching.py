"""What a re-import changes: a patient's records in the document matched with the stored ones.

A record is matched by its section's natural key (`Section.natural_key`: a day, a date, a
kind and a date); a one-to-one section's record by its patient alone. Records whose key is
blank or repeated on either side (an undated prior therapy, two doses on the same day) have
no key: the patient's list of them is compared as a whole, and replaced only when it
differs. A matched record whose values differ is changed in place: its id is kept and its
version raised by one.

Both sides are plain values by field: the document's as registry.interchange.reader reads
them, the stored ones with their `id` and `version` (stored_rows), so that a re-import
makes model instances only for the records it changes.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter

from django.db import models


def record_values(fields: tuple[str, ...], record: Mapping) -> tuple:
    """The record's values of the document's `fields`, comparable and hashable."""
    return tuple(_hashable(record[name]) for name in fields)


def stored_rows(model: type[models.Model], patient_ids: list[int]) -> dict[int, list[dict]]:
    """The stored records of the patients by patient, each its values with its `id` and
    `version`, in the order they were stored."""
    found = defaultdict(list)
    rows = model.objects.filter(patient_id__in=patient_ids).order_by("pk")
    for row in rows.values("id", "patient_id", "version", *model.document_fields):
        found[row["patient_id"]].append(row)
    return found


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@dataclass
class SectionChanges:
    """What writing the document's records of one section over the stored ones takes."""

    model: type[models.Model]
    is_list: bool
    created: list[tuple[int, dict]] = field(default_factory=list)  # patient id, values
    changed: list = field(default_factory=list)  # stored records, with the document's values
    deleted: list[int] = field(default_factory=list)  # the stored records' ids
    unchanged: int = 0

    def compare(self, patient_id: int, stored: list[dict], document: list[dict]) -> bool:
        """Add what turns one patient's stored records into the document's; whether any
        of them differs."""
        before = len(self.created) + len(self.changed) + len(self.deleted)
        repeated = _repeated(map(self._key, stored)) | _repeated(map(self._key, document))
        stored_keyed, stored_rest = self._split(stored, repeated)
        document_keyed, document_rest = self._split(document, repeated)
        for key, record in document_keyed.items():
            earlier = stored_keyed.pop(key, None)
            if earlier is None:
                self.created.append((patient_id, record))
            else:
                self._update(patient_id, earlier, record)
        self.deleted += [row["id"] for row in stored_keyed.values()]
        self._replace_if_different(patient_id, stored_rest, document_rest)
        return len(self.created) + len(self.changed) + len(self.deleted) != before

    def _key(self, record: dict) -> tuple | None:
        if not self.is_list:
            return ()
        key = tuple(record[name] for name in self.model.natural_key)
        return key if key and None not in key else None

    def _split(self, records: list, repeated: set) -> tuple[dict, list]:
        keyed, rest = {}, []
        for record in records:
            key = self._key(record)
            if key is None or key in repeated:
                rest.append(record)
            else:
                keyed[key] = record
        return keyed, rest

    def _update(self, patient_id: int, stored: dict, record: dict) -> None:
        if self._values_in_document(stored) == self._values_in_document(record):
            self.unchanged += 1
            return
        self.changed.append(
            self.model(
                id=stored["id"], patient_id=patient_id, version=stored["version"] + 1, **record
            )
        )

    def _replace_if_different(self, patient_id: int, stored: list, document: list) -> None:
        if Counter(map(self._values, stored)) == Counter(map(self._values, document)):
            self.unchanged += len(stored)
        else:
            self.deleted += [row["id"] for row in stored]
            self.created += [(patient_id, record) for record in document]

    def _values(self, record: Mapping) -> tuple:
        return record_values(self.model.document_fields, record)

    @cached_property
    def _values_in_document(self) -> itemgetter:
        """The record's values in the document, to compare (record_values without making
        them hashable: a matched record is compared once, with one other)."""
        return itemgetter(*self.model.document_fields)


def _repeated(keys) -> set:
    return {key for key, count in Counter(keys).items() if count > 1}
