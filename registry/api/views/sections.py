"""The sections of a patient's course (registry.sections): a list section's records at
patients/{id}/{section}/ and {section}/{id}/, a one-to-one section's record at
patients/{id}/{section}/."""

from collections.abc import Callable
from functools import cached_property

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.utils.formatting import camelcase_to_spaces

from registry import access
from registry import models as registry
from registry.api import serializers as api
from registry.api.audit import VersionedRecordMixin
from registry.api.permissions import OneToOnePermissions
from registry.api.schema import PATIENT_ID, RECORD_ID
from registry.api.views.base import RegistryViewMixin
from registry.sections import CourseSection


class PatientRecordsMixin:
    """The patient named in the address (patients/{id}/{section}/), whose record a new
    one's serializer is told."""

    @cached_property
    def patient(self) -> registry.Patient:
        patients = access.visible_patients(self.request.user)
        return get_object_or_404(patients, pk=self.kwargs["patient_pk"])

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if "patient_pk" in self.kwargs:
            context["patient"] = self.patient
        return context


@extend_schema_view(
    list=extend_schema(parameters=[PATIENT_ID]),
    create=extend_schema(parameters=[PATIENT_ID]),
    retrieve=extend_schema(parameters=[RECORD_ID]),
    update=extend_schema(parameters=[RECORD_ID]),
    partial_update=extend_schema(parameters=[RECORD_ID]),
    destroy=extend_schema(parameters=[RECORD_ID]),
)
class ListSectionViewSet(
    VersionedRecordMixin,
    PatientRecordsMixin,
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Records of a list section: listed and added under their patient, else by id."""

    def get_queryset(self):
        records = access.visible_records(self.request.user, super().get_queryset())
        if "patient_pk" in self.kwargs:
            records = records.filter(patient=self.patient)
        return records


@extend_schema_view(
    retrieve=extend_schema(parameters=[PATIENT_ID]),
    update=extend_schema(
        parameters=[PATIENT_ID],
        description="Create the record (201), or change the values given in the existing one",
    ),
    partial_update=extend_schema(parameters=[PATIENT_ID]),
    destroy=extend_schema(parameters=[PATIENT_ID]),
)
class OneToOneSectionViewSet(
    VersionedRecordMixin,
    PatientRecordsMixin,
    RegistryViewMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A one-to-one section of a patient, at patients/{id}/{section}/."""

    permission_classes = [OneToOnePermissions]

    def get_object(self):
        record = get_object_or_404(self.get_queryset(), patient=self.patient)
        # The patient read for the address, not read again: a patient deleted meanwhile by
        # another request would not be found the second time.
        record.patient = self.patient
        self.check_object_permissions(self.request, record)
        self.check_precondition(record)
        return record

    def update(self, request, *args, partial: bool = False, **kwargs) -> Response:
        record = self.get_queryset().filter(patient=self.patient).first()
        if record is None and partial:
            raise Http404
        self.check_precondition(record)
        serializer = self.get_serializer(record, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        self.versioned = serializer.instance
        created = status.HTTP_201_CREATED if record is None else status.HTTP_200_OK
        return Response(serializer.data, status=created)

    def partial_update(self, request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)


# Each section's description in the OpenAPI schema and in the answer to OPTIONS, by
# section key, for every section of registry.sections.SECTIONS.
DESCRIPTIONS: dict[str, str] = {
    "eligibility": "A patient's eligibility findings.",
    "genetics": "A patient's genetics.",
    "prior_therapies": "Earlier treatments of a patient (prior_therapies).",
    "lymphodepletion": "A patient's lymphodepleting chemotherapy.",
    "infusions": "CAR-T infusions of a patient (infusions).",
    "car_t_counts": (
        "CAR-T cells of a patient by flow cytometry and qPCR, per specimen (car_t_counts)."
    ),
    "labs": "Laboratory and biomarker values of a patient, as entered with their units (labs).",
    "toxicities": "The site's own record of a patient's maximum toxicity grades (toxicities).",
    "toxicity_treatments": (
        "Dated treatments of a patient's CRS, ICANS and related toxicities (toxicity_treatments)."
    ),
    "daily_assessments": "Daily CRS and ICANS observations of a patient (daily_assessments).",
    "response_assessments": "Response assessments of a patient (response_assessments).",
    "events": "Follow-up events of a patient after the infusion (events).",
}


def section_view(section: CourseSection, actions: dict[str, str]) -> Callable:
    """The view that answers `actions` (HTTP method: viewset action) on `section`'s records:
    the viewset of a list or of a one-to-one section, told the section's model, serializer
    and description."""
    viewset = ListSectionViewSet if section.many else OneToOneSectionViewSet
    return viewset.as_view(
        actions,
        queryset=section.model.objects.all(),
        serializer_class=api.SERIALIZERS[section.key],
        # DRF names a view after its viewset's class; a section's, after its model.
        name=camelcase_to_spaces(section.model_name),
        description=DESCRIPTIONS[section.key],
    )
