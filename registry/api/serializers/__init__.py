"""The API's representation of studies, sites, patients and each section of a course, and
of a patient's audit trail; a module each, the base of them all in base.py."""

from registry.api.serializers.base import RegistrySerializer
from registry.api.serializers.history import FieldChangeSerializer, HistoryEntrySerializer
from registry.api.serializers.patients import PatientSerializer
from registry.api.serializers.sections import (
    SERIALIZERS,
    EligibilitySerializer,
    SectionSerializer,
)
from registry.api.serializers.studies import SiteSerializer, StudySerializer

__all__ = [
    "SERIALIZERS",
    "EligibilitySerializer",
    "FieldChangeSerializer",
    "HistoryEntrySerializer",
    "PatientSerializer",
    "RegistrySerializer",
    "SectionSerializer",
    "SiteSerializer",
    "StudySerializer",
]
