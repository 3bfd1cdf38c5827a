"""What a re-import changes: a patient's records in the document matched with the stored ones.

A record is matched by its section's natural key (`Section.natural_key`: a day, a date, a
kind and a date); a one-to-one section's record by its patient alone. Records whose key is
blank or repeated on either side (an undated prior therapy, two doses on the same day) have
no key: the patient's list of them is compared as a whole, and replaced only when it
differs. A matched record whose values differ is changed in place: its id is kept and its
version raised by one.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import models


def record_values(record: models.Model) -> tuple:
    """The record's values in the document, comparable and hashable."""
    return tuple(_hashable(getattr(record, name)) for name in record.document_fields)


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@dataclass
class SectionChanges:
    """What writing the document's records of one section over the stored ones takes."""

    model: type[models.Model]
    is_list: bool
    created: list = field(default_factory=list)
    changed: list = field(default_factory=list)  # stored records, with the document's values
    deleted: list = field(default_factory=list)
    unchanged: int = 0

    def compare(self, stored: list, document: list) -> bool:
        """Add what turns one patient's stored records into the document's; whether any
        of them differs."""
        before = len(self.created) + len(self.changed) + len(self.deleted)
        repeated = _repeated(map(self._key, stored)) | _repeated(map(self._key, document))
        stored_keyed, stored_rest = self._split(stored, repeated)
        document_keyed, document_rest = self._split(document, repeated)
        for key, record in document_keyed.items():
            earlier = stored_keyed.pop(key, None)
            if earlier is None:
                self.created.append(record)
            else:
                self._update(earlier, record)
        self.deleted += stored_keyed.values()
        self._replace_if_different(stored_rest, document_rest)
        return len(self.created) + len(self.changed) + len(self.deleted) != before

    def _key(self, record: models.Model) -> tuple | None:
        if not self.is_list:
            return ()
        key = tuple(getattr(record, name) for name in self.model.natural_key)
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

    def _update(self, stored: models.Model, record: models.Model) -> None:
        if record_values(stored) == record_values(record):
            self.unchanged += 1
            return
        for name in record.document_fields:
            setattr(stored, name, getattr(record, name))
        stored.version += 1
        self.changed.append(stored)

    def _replace_if_different(self, stored: list, document: list) -> None:
        if Counter(map(record_values, stored)) == Counter(map(record_values, document)):
            self.unchanged += len(stored)
        else:
            self.deleted += stored
            self.created += document


def _repeated(keys) -> set:
    return {key for key, count in Counter(keys).items() if count > 1}
