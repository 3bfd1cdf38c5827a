"""Fields that take JSON's own types only, as the cohort import does: `"yes"` is not true
and `"60"` is not a number."""

from collections.abc import Mapping

from rest_framework import serializers


class JsonBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false, not {input!r}."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class JsonNumberMixin:
    """Numbers only as JSON numbers: neither text nor true/false."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonIntegerField(JsonNumberMixin, serializers.IntegerField):
    pass


class JsonFloatField(JsonNumberMixin, serializers.FloatField):
    pass


class JsonCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be text."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CodedCharField(JsonCharField):
    """Text that is one of `codes` (code -> what it names: an analyte, a unit, a specimen):
    the OpenAPI schema lists them as an enum (registry.api.schema); the model's full_clean
    checks the value, in its own words (a unit is checked against its analyte's)."""

    def __init__(self, *, codes: Mapping[str, str], **kwargs):
        self.codes = dict(codes)
        super().__init__(**kwargs)
