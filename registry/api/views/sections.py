"""The sections of a patient's course (registry.sections): a list section's records at
patients/{id}/{section}/ and {section}/{id}/, a one-to-one section's record at
patients/{id}/{section}/."""

from functools import cached_property

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from registry import access
from registry import models as registry
from registry.api import serializers as api
from registry.api.audit import VersionedRecordMixin
from registry.api.permissions import OneToOnePermissions
from registry.api.schema import PATIENT_ID, RECORD_ID
from registry.api.views.base import RegistryViewMixin


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
    RegistryViewMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A one-to-one section of a patient, at patients/{id}/{section}/."""

    permission_classes = [OneToOnePermissions]

    @cached_property
    def patient(self) -> registry.Patient:
        patients = access.visible_patients(self.request.user)
        return get_object_or_404(patients, pk=self.kwargs["patient_pk"])

    def get_object(self):
        record = get_object_or_404(self.get_queryset(), patient=self.patient)
        self.check_object_permissions(self.request, record)
        self.check_precondition(record)
        return record

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if "patient_pk" in self.kwargs:
            context["patient"] = self.patient
        return context

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


class PriorTherapyViewSet(ListSectionViewSet):
    """Earlier treatments of a patient (prior_therapies)."""

    queryset = registry.PriorTherapy.objects.all()
    serializer_class = api.PriorTherapySerializer


class InfusionViewSet(ListSectionViewSet):
    """CAR-T infusions of a patient (infusions)."""

    queryset = registry.Infusion.objects.all()
    serializer_class = api.InfusionSerializer


class CarTCountViewSet(ListSectionViewSet):
    """Peripheral-blood CAR-T counts of a patient (car_t_counts)."""

    queryset = registry.CarTCount.objects.all()
    serializer_class = api.CarTCountSerializer


class DailyAssessmentViewSet(ListSectionViewSet):
    """Daily CRS and ICANS observations of a patient (daily_assessments)."""

    queryset = registry.DailyAssessment.objects.all()
    serializer_class = api.DailyAssessmentSerializer


class ResponseAssessmentViewSet(ListSectionViewSet):
    """Response assessments of a patient (response_assessments)."""

    queryset = registry.ResponseAssessment.objects.all()
    serializer_class = api.ResponseAssessmentSerializer


class FollowUpEventViewSet(ListSectionViewSet):
    """Follow-up events of a patient after the infusion (events)."""

    queryset = registry.FollowUpEvent.objects.all()
    serializer_class = api.FollowUpEventSerializer


class EligibilityViewSet(OneToOneSectionViewSet):
    """A patient's eligibility findings."""

    queryset = registry.Eligibility.objects.all()
    serializer_class = api.EligibilitySerializer


class GeneticsViewSet(OneToOneSectionViewSet):
    """A patient's genetics."""

    queryset = registry.Genetics.objects.all()
    serializer_class = api.GeneticsSerializer


class LymphodepletionViewSet(OneToOneSectionViewSet):
    """A patient's lymphodepleting chemotherapy."""

    queryset = registry.Lymphodepletion.objects.all()
    serializer_class = api.LymphodepletionSerializer


class ToxicityRecordViewSet(OneToOneSectionViewSet):
    """The site's own record of a patient's maximum toxicity grades (toxicities)."""

    queryset = registry.ToxicityRecord.objects.all()
    serializer_class = api.ToxicityRecordSerializer
