"""The API's representation of studies, sites, patients and each section of a course.

Writes go through the model layer: `validate()` puts the values on the model instance and
calls `full_clean()`, so the course rules (registry.course) answer here in the same words
as in the admin and the cohort import, under this API's field names; `write()` saves
through registry.services, with the reason and the version (registry.api.audit). JSON types are
strict, as in the cohort import: `"yes"` is not true and `"60"` is not a number.
"""

from collections.abc import Callable, Mapping
from functools import partial
from operator import attrgetter

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import capfirst
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from registry import choices, services
from registry import models as registry
from registry.api.audit import Change, refusal
from registry.sections import SECTIONS
from registry.validators import PlausibleDate


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


def _iso_date(value) -> str:
    return value if isinstance(value, str) else value.isoformat()


# Field classes whose to_representation() of a value from the database is this function.
PLAIN_FIELDS: dict[type, Callable] = {
    JsonBooleanField: bool,
    serializers.BooleanField: bool,
    JsonCharField: str,
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


def _reader(field: serializers.Field, model) -> Callable:
    """A function of an instance that gives the field's value as `_represent` does, faster
    for plain attributes: without the field's own look-up and conversion."""
    plain = _plain(field, model)
    if plain is None:
        return partial(_represent, field)
    source, convert = plain
    return partial(_read_plain, attrgetter(source), convert)


def _row_reader(fields: list[serializers.Field], model) -> Callable[[tuple], dict] | None:
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


# Each RegistrySerializer class's readers: its readable fields' names and how to read them,
# and its reader of records read as rows (_row_reader).
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
            readers = [(field.field_name, _reader(field, self.Meta.model)) for field in fields]
            _ROW_READERS[cls] = _row_reader(fields, self.Meta.model)
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
        self.cleaned_instance = instance
        return attrs

    def complete(self, instance: models.Model) -> None:
        """Set what the request does not carry (e.g. the patient) before validation."""

    def refusal(self, error: DjangoValidationError) -> APIException:
        return refusal(error, {field.source_attrs[0]: name for name, field in self.fields.items()})

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


class StudySerializer(RegistrySerializer):
    class Meta:
        model = registry.Study
        fields = [
            "code",
            "title",
            "data_cutoff",
            "is_synthetic",
            "dose_ceiling_post_hct_per_kg",
            "dose_ceiling_per_kg",
            "b_cell_aplasia_threshold_pct",
            "b_cell_aplasia_specimen",
            "min_cd19_blast_pct",
            "min_bm_blast_pct",
            "max_ecog",
            "requires_prior_murine_cd19",
            "date_format",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "code": {"help_text": "Short code of the study, e.g. HCD19; its address in the API"},
            "date_format": {
                "help_text": "How the study's pages show dates; the API always uses YYYY-MM-DD"
            },
        }


class SiteSerializer(RegistrySerializer):
    study = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Code of the study the site takes part in"
    )

    class Meta:
        model = registry.Site
        fields = ["id", "study", "code", "name"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Site id"},
            "code": {"help_text": "Site code, unique within its study"},
            "name": {"help_text": "Name of the centre"},
        }


class SectionSerializer(RegistrySerializer):
    """A record of one patient's course; the patient comes from the URL."""

    patient = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Id of the patient this record belongs to"
    )

    class Meta:
        read_only_fields = ["id", "patient"]
        extra_kwargs = {"id": {"help_text": "Record id; its address in the API"}}

    def get_field_names(self, declared_fields, info) -> list[str]:
        # The record's id and patient, which only the API sets, then the section's fields
        # as in a cohort document: those of its model (registry.sections).
        return [*self.Meta.read_only_fields, *self.Meta.model.document_fields]

    def complete(self, instance: models.Model) -> None:
        if instance.patient_id is None:
            instance.patient = self.context["patient"]


class EligibilitySerializer(SectionSerializer):
    extramedullary_sites = serializers.ListField(
        child=serializers.ChoiceField(choices=choices.ExtramedullarySite.choices),
        required=False,
        help_text="Sites of extramedullary disease; empty when none",
    )

    class Meta(SectionSerializer.Meta):
        model = registry.Eligibility


class GeneticsSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.Genetics


class PriorTherapySerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.PriorTherapy


class LymphodepletionSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.Lymphodepletion


class InfusionSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.Infusion


class CarTCountSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.CarTCount


class LabResultSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.LabResult


class ToxicityRecordSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.ToxicityRecord


class ToxicityTreatmentSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.ToxicityTreatment


class DailyAssessmentSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.DailyAssessment


class ResponseAssessmentSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.ResponseAssessment


class FollowUpEventSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        model = registry.FollowUpEvent


class PatientSerializer(RegistrySerializer):
    """A patient with every section of the course; sections are written at their own URLs."""

    study = serializers.SlugRelatedField(
        slug_field="code",
        queryset=registry.Study.objects.all(),
        help_text="Code of the patient's study",
    )
    site = JsonCharField(source="site.code", help_text="Code of the patient's site in the study")
    study_id = JsonCharField(
        source="subject_id",
        max_length=40,
        help_text="The patient's pseudonymous code, unique within the study; no names or "
        "record numbers",
    )
    age_years = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Age in completed years at the first infusion (at enrolment before any)",
    )
    first_infusion_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="Date of the first CAR-T infusion"
    )
    d30_response = serializers.ChoiceField(
        source="d30_status",
        choices=choices.ResponseStatus.choices,
        read_only=True,
        allow_null=True,
        help_text="Day-30 response: the earliest response assessment from day 21 to day 45",
    )
    prior_allo_hct = serializers.BooleanField(
        read_only=True, help_text="An allogeneic HCT before the infusion"
    )
    prior_cd22_cart = serializers.BooleanField(
        read_only=True, help_text="A CD22 CAR-T before the infusion"
    )
    relapsed = serializers.BooleanField(
        read_only=True, help_text="A relapse is recorded after the infusion"
    )
    died = serializers.BooleanField(read_only=True, help_text="A death is recorded")
    eligibility = EligibilitySerializer(
        read_only=True, allow_null=True, help_text="Eligibility findings; null when not recorded"
    )
    genetics = GeneticsSerializer(
        read_only=True, allow_null=True, help_text="Genetics; null when not recorded"
    )
    prior_therapies = PriorTherapySerializer(
        many=True, read_only=True, help_text="Earlier treatments"
    )
    lymphodepletion = LymphodepletionSerializer(
        read_only=True,
        allow_null=True,
        help_text="Lymphodepleting chemotherapy; null when not recorded",
    )
    infusions = InfusionSerializer(many=True, read_only=True, help_text="CAR-T infusions, by date")
    car_t_counts = CarTCountSerializer(
        many=True, read_only=True, help_text="CAR-T cells by flow cytometry and qPCR, by day"
    )
    labs = LabResultSerializer(
        many=True, read_only=True, help_text="Laboratory and biomarker values, by day"
    )
    toxicities = ToxicityRecordSerializer(
        read_only=True,
        allow_null=True,
        help_text="The site's record of maximum CRS and ICANS grades; null when not recorded",
    )
    toxicity_treatments = ToxicityTreatmentSerializer(
        many=True, read_only=True, help_text="Treatments of CRS, ICANS and related toxicities"
    )
    daily_assessments = DailyAssessmentSerializer(
        many=True, read_only=True, help_text="Daily CRS and ICANS observations, by day"
    )
    response_assessments = ResponseAssessmentSerializer(
        many=True, read_only=True, help_text="Response assessments, by day"
    )
    events = FollowUpEventSerializer(
        many=True, read_only=True, help_text="Follow-up events after the infusion, by date"
    )

    class Meta:
        model = registry.Patient
        fields = [
            "id",
            "study",
            "site",
            "study_id",
            *registry.Patient.document_fields,
            "age_years",
            "first_infusion_date",
            "d30_response",
            "prior_allo_hct",
            "prior_cd22_cart",
            "relapsed",
            "died",
            # Each section, nested as declared above, in a cohort document's order.
            *(section.key for section in SECTIONS),
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"id": {"help_text": "Patient id; its address in the API"}}

    def validate(self, attrs: dict) -> dict:
        if "site" in attrs:
            attrs["site"] = self._site(attrs["site"]["code"], attrs.get("study"))
        return super().validate(attrs)

    def _site(self, code: str, study: registry.Study | None) -> registry.Site:
        study = study or self.instance.study
        site = study.sites.filter(code=code).first()
        if site is None:
            raise serializers.ValidationError({"site": f"Study {study.code} has no site {code!r}"})
        return site


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name, as elsewhere in this API")
    old = serializers.JSONField(allow_null=True, help_text="Its value before; null if none")
    new = serializers.JSONField(allow_null=True, help_text="Its value after; null if none")


class HistoryEntrySerializer(serializers.Serializer):
    """One change in a patient's audit trail (registry.history.HistoryEntry)."""

    model = serializers.CharField(
        source="record", help_text="The kind of record, e.g. patient or infusion"
    )
    section = serializers.CharField(
        help_text="Where in the course: patient, or a section such as infusions"
    )
    record_id = serializers.IntegerField(help_text="Id of the record changed")
    action = serializers.ChoiceField(
        choices=["created", "changed", "deleted"], help_text="What was done to the record"
    )
    user = serializers.CharField(
        allow_null=True, help_text="Username of who did it; null when not known"
    )
    date = serializers.DateTimeField(help_text="When")
    reason = serializers.CharField(
        allow_null=True, help_text="The reason for change given; null when none was"
    )
    changes = FieldChangeSerializer(
        many=True,
        help_text="Each value set (created), changed, or held when deleted, with its "
        "value before and after",
    )
