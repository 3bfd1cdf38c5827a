"""A section's record of a cohort document checked as its model's `full_clean()` checks it,
field by field, without a model instance for each record.

A large cohort holds hundreds of thousands of records whose values repeat (a day, an
analyte, a unit): each field's own checks (`Field.clean`: its type, choices, blank, null and
validators) run once for each distinct value of a document, and the model's `clean()` runs
on one instance of the model that takes each record's values in turn. The rules stay those
defined on the model, and the messages come in the order `full_clean()` gives them.
"""

from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db import models


class RecordChecker:
    """Checks the records of one model; made for one document, as the validators of a date
    are worked out on the day they run (registry.validators)."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        # In full_clean()'s order; the values come back in the document's.
        self.fields = [field for field in model._meta.fields if field.name in model.document_fields]
        self.names = model.document_fields
        # Made afresh for each record only where the default is made by a call (a list).
        made = [field for field in self.fields if field.has_default() and callable(field.default)]
        self._defaults = {field.name: field.get_default() for field in self.fields}
        self._made = [(field.name, field.get_default) for field in made]
        # A record with no patient: clean() checks its fields together, not its course.
        self._scratch = model()
        self._errors_by_value: dict[str, dict] = {field.name: {} for field in self.fields}

    def defaults(self) -> dict:
        """A record's values when the document gives none, each made afresh (a list)."""
        return self._defaults | {name: make() for name, make in self._made}

    def check(self, values: dict, refused: Collection[str]) -> tuple[dict, dict]:
        """`values` (every field of the document's) as full_clean() leaves them, and its
        errors by field; the fields `refused` (of the wrong JSON type) are not checked."""
        errors = {}
        for field in self.fields:
            value = values[field.name]
            if field.name in refused or (field.blank and value in field.empty_values):
                continue
            found = self._field_errors(field, value)
            if found:
                # A list of the record's own: clean() adds its errors to the field's.
                errors[field.name] = list(found)
            else:
                values[field.name] = field.to_python(value)
        scratch = self._scratch
        vars(scratch).update(values)
        try:
            scratch.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        return {name: getattr(scratch, name) for name in self.names}, errors

    def _field_errors(self, field: models.Field, value: object) -> tuple | None:
        # By type as well: 1, 1.0 and True are equal keys, and not the same to a field.
        key = (type(value), value)
        try:
            return self._errors_by_value[field.name][key]
        except KeyError:
            found = self._errors_by_value[field.name][key] = self._clean(field, value)
            return found
        except TypeError:  # unhashable: a list
            return self._clean(field, value)

    def _clean(self, field: models.Field, value: object) -> tuple | None:
        """The field's errors for the value; a tuple, as it is kept for every record that
        holds the value."""
        try:
            field.clean(value, self._scratch)
        except ValidationError as error:
            return tuple(error.error_list)
        return None
