"""How RegistrySerializer reads a field's value: as DRF's to_representation() gives it,
without DRF's look-up and conversion where the field is a plain attribute."""

from collections.abc import Callable
from functools import partial
from operator import attrgetter

from rest_framework import serializers
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from registry.api.serializers.fields import (
    CodedCharField,
    JsonBooleanField,
    JsonCharField,
    JsonFloatField,
    JsonIntegerField,
)


def _iso_date(value) -> str:
    return value if isinstance(value, str) else value.isoformat()


# Field classes whose to_representation() of a value from the database is this function.
PLAIN_FIELDS: dict[type, Callable] = {
    JsonBooleanField: bool,
    serializers.BooleanField: bool,
    JsonCharField: str,
    CodedCharField: str,
    serializers.CharField: str,
    JsonFloatField: float,
    serializers.FloatField: float,
    JsonIntegerField: int,
    serializers.IntegerField: int,
}


def _represent(field: serializers.Field, instance):
    """The field's value in `instance`, as Serializer.to_representation() gives it."""
    attribute = field.get_attribute(instance)
    value = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    return None if value is None else field.to_representation(attribute)


def _read_plain(get: Callable, convert: Callable, instance):
    value = get(instance)
    return None if value is None else convert(value)


def _plain(field: serializers.Field, model) -> tuple[str, Callable] | None:
    """The attribute the field reads and the conversion its to_representation() makes of a
    value that is not None, for a field that does no more than that; else None."""
    convert = PLAIN_FIELDS.get(type(field))
    if isinstance(field, serializers.DateField) and not hasattr(field, "format"):
        convert = _iso_date if api_settings.DATE_FORMAT.lower() == "iso-8601" else None
    elif isinstance(field, serializers.ChoiceField) and not isinstance(
        field, serializers.MultipleChoiceField
    ):
        convert = field.to_representation
    elif isinstance(field, serializers.BigIntegerField):
        # The ids: numbers, unless the API were set to write big integers as text.
        as_text = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        convert = None if as_text else int
    elif isinstance(field, serializers.PrimaryKeyRelatedField) and field.pk_field is None:
        return model._meta.get_field(field.source).attname, int  # the id, with no look-up
    if convert is None or len(field.source_attrs) != 1:
        return None
    return field.source_attrs[0], convert


def field_reader(field: serializers.Field, model) -> Callable:
    """A function of an instance that gives the field's value as `_represent` does, faster
    for plain attributes: without the field's own look-up and conversion."""
    plain = _plain(field, model)
    if plain is None:
        return partial(_represent, field)
    source, convert = plain
    return partial(_read_plain, attrgetter(source), convert)


def row_reader(fields: list[serializers.Field], model) -> Callable[[tuple], dict] | None:
    """A function of a record read as a named tuple of its columns (registry.selectors)
    that gives what the fields' readers give, reading every column in one look-up; None
    unless every field is plain.

    Of the conversions, only the dates' change a value as the database gives it: the
    number, text and true/false columns come as the JSON types already, and a choice as
    its key. The API's tests compare the answers from rows with those of model instances.
    """
    plain = [_plain(field, model) for field in fields]
    # attrgetter of one name gives the value, not a tuple: a serializer of one field is
    # read field by field.
    if len(fields) < 2 or None in plain:
        return None
    names = [field.field_name for field in fields]
    columns = attrgetter(*(source for source, _convert in plain))
    dates = [index for index, (_, convert) in enumerate(plain) if convert is _iso_date]

    def read(row: tuple) -> dict:
        values = columns(row)
        if dates:
            values = list(values)
            for index in dates:
                if values[index] is not None:
                    values[index] = _iso_date(values[index])
        return dict(zip(names, values, strict=True))

    return read
