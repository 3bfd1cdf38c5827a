"""The base of the API's serializers of records.

Writes go through the model layer: `validate()` puts the values on the model instance and
calls `full_clean()`, so the course rules (registry.course) answer here in the same words
as in the admin and the cohort import, under this API's field names; `write()` saves
through registry.services, with the reason and the version (registry.api.audit). JSON types are
strict, as in the cohort import: `"yes"` is not true and `"60"` is not a number.
"""

from collections.abc import Callable, Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import capfirst
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.fields import SkipField

from registry import services
from registry.api.audit import Change, refusal, step_refusal
from registry.api.serializers.fields import (
    JsonBooleanField,
    JsonCharField,
    JsonFloatField,
    JsonIntegerField,
)
from registry.api.serializers.readers import field_reader, row_reader
from registry.validators import PlausibleDate

# Each RegistrySerializer class's readers: its readable fields' names and how to read them,
# and its reader of records read as rows (row_reader).
_READERS: dict[type, list[tuple[str, Callable]]] = {}
_ROW_READERS: dict[type, Callable[[tuple], dict] | None] = {}


class RegistrySerializer(serializers.ModelSerializer):
    """Strict JSON in, the model's `full_clean()` as the only validation of values.

    Out, the same representation as DRF's, built faster: a list page of 50 patients has
    some 15,000 values, and DRF's look-up and conversion of each cost more than the SQL.
    """

    serializer_field_mapping = serializers.ModelSerializer.serializer_field_mapping | {
        models.BooleanField: JsonBooleanField,
        models.CharField: JsonCharField,
        models.FloatField: JsonFloatField,
        models.IntegerField: JsonIntegerField,
        models.PositiveBigIntegerField: JsonIntegerField,
        models.PositiveIntegerField: JsonIntegerField,
        models.PositiveSmallIntegerField: JsonIntegerField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.setdefault("help_text", capfirst(model_field.verbose_name))
        for validator in model_field.validators:
            if isinstance(validator, PlausibleDate):
                kwargs["help_text"] += f"; {validator.in_words}"
        # Keep the model's own wording for ranges ("ECOG must be between 0 and 4").
        for key, kind in (("min_value", MinValueValidator), ("max_value", MaxValueValidator)):
            validator = next((v for v in model_field.validators if isinstance(v, kind)), None)
            if key in kwargs and validator and validator.message != kind.message:
                kwargs.setdefault("error_messages", {})[key] = validator.message
        return field_class, kwargs

    @property
    def _readers(self) -> list[tuple[str, Callable]]:
        # Made once per class, not per serializer: building a patient's fields and those of
        # its ten nested sections at every request was a noticeable part of an uncached
        # detail. What the fields say of a value depends on the class alone, never on the
        # request.
        cls = type(self)
        readers = _READERS.get(cls)
        if readers is None:
            # Of a serializer with no request in its context.
            fields = list(cls()._readable_fields)
            readers = [(field.field_name, field_reader(field, self.Meta.model)) for field in fields]
            _ROW_READERS[cls] = row_reader(fields, self.Meta.model)
            _READERS[cls] = readers
        return readers

    def to_representation(self, instance) -> dict:
        readers, read_row = self._readers, _ROW_READERS[type(self)]
        if read_row is not None and isinstance(instance, tuple):
            return read_row(instance)
        try:
            return {name: read(instance) for name, read in readers}
        except (AttributeError, SkipField):
            # A value the instance lacks: DRF's own way leaves it out or names it.
            return super().to_representation(instance)

    def get_validators(self):
        # Uniqueness is the model's to check, in full_clean(), with its own messages.
        return []

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            self._reject_unwritable_keys(data)
        return super().to_internal_value(data)

    def _reject_unwritable_keys(self, data: Mapping) -> None:
        errors = {}
        for key in data:
            field = self.fields.get(key)
            if field is None:
                allowed = ", ".join(name for name, f in self.fields.items() if not f.read_only)
                errors[key] = [f"Unknown field {key!r}; the fields are: {allowed}."]
            elif field.read_only:
                errors[key] = [f"{key!r} is read-only here."]
        if errors:
            raise serializers.ValidationError(errors)

    def validate(self, attrs: dict) -> dict:
        # A first check, on the record as read, for the fields' messages; write() checks
        # again what it saves.
        instance = self.instance if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        self.complete(instance)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise self.refusal(error) from None
        except ObjectDoesNotExist:
            # The record's patient, read by the checks, deleted by another request since
            # this one read the record.
            raise self.refusal(services.EditConflict.of(instance)) from None
        self.cleaned_instance = instance
        return attrs

    def complete(self, instance: models.Model) -> None:
        """Set what the request does not carry (e.g. the patient) before validation."""

    def refusal(self, error: DjangoValidationError) -> APIException:
        if self.instance is None:
            # A new record takes no If-Match: its patient gone meanwhile is not found.
            return step_refusal(error, self.field_names())
        return refusal(error, self.field_names())

    def field_names(self) -> dict[str, str]:
        """The API's name of each field, by the model's."""
        return {field.source_attrs[0]: name for name, field in self.fields.items()}

    def create(self, validated_data: dict) -> models.Model:
        self.write(services.record_save, record=self.cleaned_instance)
        return self.cleaned_instance

    def update(self, instance: models.Model, validated_data: dict) -> models.Model:
        # Only the values sent, set on the record as stored when the change is saved: a
        # PATCH of one field keeps what another request changed since this one read it.
        return self.write(services.record_update, record=instance, values=validated_data)

    def write(self, save: Callable, **arguments):
        """Call `save`, a writer of registry.services, with the request's user, reason and
        version; what it returns."""
        change = self.context.get("change", Change())
        user = self.context["request"].user
        try:
            return save(user=user, reason=change.reason, version=change.version, **arguments)
        except DjangoValidationError as error:
            raise self.refusal(error) from None
