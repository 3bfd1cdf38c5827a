"""The API's representation of each section of a course, one serializer a section."""

from typing import ClassVar

from django.db import models
from rest_framework import serializers

from registry import choices
from registry import models as registry
from registry.api.serializers.base import RegistrySerializer
from registry.api.serializers.fields import CodedCharField
from registry.sections import FIELD_CODES, SECTIONS, CourseSection


class SectionSerializer(RegistrySerializer):
    """A record of one patient's course; the patient comes from the URL."""

    patient = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Id of the patient this record belongs to"
    )

    # The section's coded text fields, by name, with their codes: listed in the OpenAPI
    # schema (CodedCharField).
    codes: ClassVar[dict[str, dict[str, str]]] = {}

    class Meta:
        read_only_fields = ["id", "patient"]
        extra_kwargs = {"id": {"help_text": "Record id; its address in the API"}}

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name in self.codes:
            return CodedCharField, kwargs | {"codes": self.codes[field_name]}
        return field_class, kwargs

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


def section_codes(section: CourseSection) -> dict[str, dict[str, str]]:
    """The section's coded text fields (registry.sections.FIELD_CODES), each with its codes."""
    return {name: FIELD_CODES[name] for name in section.fields if name in FIELD_CODES}


# The serializers with fields of their own; every other section's is made from the table.
OWN_SERIALIZERS: dict[str, type[SectionSerializer]] = {"eligibility": EligibilitySerializer}


def section_serializer(section: CourseSection) -> type[SectionSerializer]:
    """The serializer of `section`'s records, told its model and coded fields, named after
    its model as the OpenAPI schema names them (GeneticsSerializer: Genetics)."""
    if section.key in OWN_SERIALIZERS:
        return OWN_SERIALIZERS[section.key]
    meta = type("Meta", (SectionSerializer.Meta,), {"model": section.model})
    declared = {"Meta": meta, "codes": section_codes(section)}
    return type(f"{section.model_name}Serializer", (SectionSerializer,), declared)


# By section key, for every section of registry.sections.SECTIONS.
SERIALIZERS: dict[str, type[SectionSerializer]] = {
    section.key: section_serializer(section) for section in SECTIONS
}
