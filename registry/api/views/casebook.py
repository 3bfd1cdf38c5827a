"""A patient's casebook (each section's status, the required data missing, the signature),
a monitor's source data verification, an investigator's signature; and a study's
completeness of required data by site, with its patients missing some (registry.casebook).
"""

from django.core.exceptions import PermissionDenied as NotAllowed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as BadRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access, casebook, completeness
from registry.api.audit import step_refusal
from registry.api.pagination import Pagination
from registry.api.schema import ERROR, FIELD_ERRORS, PATIENT_ID
from registry.http import AUTHENTICATION, STUDY_CODE
from registry.models import Patient
from registry.required_fields import STATUSES
from registry.site_filters import site_named


class SectionStatusSerializer(serializers.Serializer):
    section = serializers.CharField(source="key", help_text="patient, or a section's key")
    status = serializers.ChoiceField(
        choices=STATUSES, help_text="incomplete, complete, verified (source data) or signed"
    )
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="The required fields missing, by label"
    )
    verified_by = serializers.CharField(help_text="The monitor who verified it; empty if none")
    verified_at = serializers.DateTimeField(allow_null=True, help_text="When it was verified")


class SignatureSerializer(serializers.Serializer):
    signed_by = serializers.CharField(source="signed_by.username", help_text="The investigator")
    signed_at = serializers.DateTimeField(help_text="When the casebook was signed")
    meaning = serializers.CharField(help_text="What the investigator confirmed by signing")
    voided_at = serializers.DateTimeField(
        allow_null=True, help_text="When a later change voided it; null while it stands"
    )
    void_reason = serializers.CharField(help_text="Which sections changed after signing")


class CasebookSerializer(serializers.Serializer):
    required = serializers.IntegerField(
        source="required_total", help_text="The study's required fields in this casebook"
    )
    missing = serializers.IntegerField(source="required_missing", help_text="Those missing")
    signed = serializers.BooleanField(
        source="casebook_signed", help_text="Whether an investigator's signature stands"
    )
    sections = SectionStatusSerializer(many=True, help_text="Each section, in the course's order")
    signatures = SignatureSerializer(many=True, help_text="Newest first, voided ones too")


class VerifySerializer(serializers.Serializer):
    section = serializers.CharField(
        help_text="patient, or a section's key, e.g. infusions or response_assessments"
    )


class SignSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, help_text="The investigator's own password, typed again"
    )


def given(request, name: str) -> str:
    """A text of the body; "" for none (registry.casebook checks the role first, then says
    what is wrong with it, under its name)."""
    value = request.data.get(name) if isinstance(request.data, dict) else None
    return value if isinstance(value, str) else ""


def casebook_answer(patient: Patient) -> dict:
    patient.refresh_from_db(fields=list(Patient.CASEBOOK_COLUMNS))
    data = {
        "required_total": patient.required_total,
        "required_missing": patient.required_missing,
        "casebook_signed": patient.casebook_signed,
        "sections": casebook.casebook_sections(patient),
        "signatures": patient.signatures.select_related("signed_by").order_by("-signed_at"),
    }
    return CasebookSerializer(data).data


class CasebookMixin:
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    def patient(self, request, patient_pk: int) -> Patient:
        patients = access.visible_patients(request.user, Patient.objects.select_related("study"))
        return get_object_or_404(patients, pk=patient_pk)

    def done(self, step, patient: Patient, answer_status=status.HTTP_200_OK, **arguments):
        """Run a step of registry.casebook: a refusal is a 403, a 400 naming the field, or a
        404 saying so when another user deleted the patient since it was read."""
        try:
            # The answer is read in the step's transaction, the patient locked by it: another
            # request's deletion of the patient waits until it is read.
            with transaction.atomic():
                step(patient=patient, user=self.request.user, **arguments)
                answer = casebook_answer(patient)
        except NotAllowed as refused:
            raise PermissionDenied(str(refused)) from None
        except ValidationError as error:
            raise step_refusal(error) from None
        return Response(answer, status=answer_status)


class CasebookView(CasebookMixin, APIView):
    @extend_schema(
        operation_id="patients_casebook",
        parameters=[PATIENT_ID],
        responses={200: CasebookSerializer, 404: ERROR},
    )
    def get(self, request, patient_pk: int) -> Response:
        """The patient's casebook: each section's status (incomplete, complete, verified,
        signed), the study's required fields missing, and its signatures."""
        return Response(casebook_answer(self.patient(request, patient_pk)))


class SectionVerifyView(CasebookMixin, APIView):
    @extend_schema(
        operation_id="patients_casebook_verify",
        parameters=[PATIENT_ID],
        request=VerifySerializer,
        responses={200: CasebookSerializer, 400: FIELD_ERRORS, 403: ERROR, 404: ERROR},
    )
    def post(self, request, patient_pk: int) -> Response:
        """A monitor (or study administrator) has verified the section against the source
        documents: it must be complete."""
        patient = self.patient(request, patient_pk)
        return self.done(casebook.section_verify, patient, section=given(request, "section"))


class SignatureView(CasebookMixin, APIView):
    @extend_schema(
        operation_id="patients_casebook_sign",
        parameters=[PATIENT_ID],
        request=SignSerializer,
        responses={201: CasebookSerializer, 400: FIELD_ERRORS, 403: ERROR, 404: ERROR},
    )
    def post(self, request, patient_pk: int) -> Response:
        """An investigator signs the casebook, confirming "I confirm the data of this
        casebook are complete and accurate", with their password typed again. Refused
        while required data are missing; a later change to the casebook voids it."""
        patient = self.patient(request, patient_pk)
        password = given(request, "password")
        return self.done(
            casebook.casebook_sign, patient, status.HTTP_201_CREATED, password=password
        )


class SiteFiguresSerializer(serializers.Serializer):
    site = serializers.CharField(source="label", help_text="Site code; All sites: the total")
    patients = serializers.IntegerField(help_text="Patients at the site")
    patients_with_missing_data = serializers.IntegerField(
        source="with_missing", help_text="Those with a required field missing"
    )
    required = serializers.IntegerField(help_text="Required fields over the patients")
    missing = serializers.IntegerField(help_text="Those missing")
    share_filled = serializers.FloatField(
        allow_null=True, help_text="The share of required fields filled; null if none required"
    )
    signed = serializers.IntegerField(help_text="Patients whose casebook is signed")


class MissingPatientSerializer(serializers.Serializer):
    patient = serializers.IntegerField(source="pk", help_text="The patient's id in the API")
    study_id = serializers.CharField(source="subject_id", help_text="The pseudonymous study id")
    site = serializers.CharField(source="site.code", help_text="Site code")
    required = serializers.IntegerField(source="required_total", help_text="Required fields")
    missing = serializers.IntegerField(source="required_missing", help_text="Those missing")


class SectionFiguresSerializer(serializers.Serializer):
    section = serializers.CharField(help_text="A section with required fields")
    patients_with_missing_data = serializers.IntegerField(
        help_text="Patients missing one of its required fields"
    )
    missing = serializers.IntegerField(help_text="Its required fields missing over them")


class CompletenessSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Patients with required data missing")
    next = serializers.URLField(allow_null=True, help_text="The next page")
    previous = serializers.URLField(allow_null=True, help_text="The previous page")
    results = MissingPatientSerializer(many=True, help_text="This page of them, by study id")
    sites = SiteFiguresSerializer(many=True, help_text="By site, then All sites")
    sections = SectionFiguresSerializer(many=True, help_text="By section")


class CompletenessView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        operation_id="studies_completeness",
        parameters=[
            STUDY_CODE,
            OpenApiParameter(
                "site", str, description="The code of a site you read: its figures alone"
            ),
            OpenApiParameter("page", int, description="A page of the patients, from 1"),
        ],
        responses={200: CompletenessSerializer, 400: FIELD_ERRORS, 404: ERROR},
    )
    def get(self, request, code: str) -> Response:
        """The completeness of the study's required data at the sites the user reads (or
        one, `site`), by site and by section, and a page of the patients with required data
        missing, by study id."""
        study = access.visible_studies(request.user).filter(code=code).first()
        if study is None:
            raise Http404
        # Read once, for the three reads below (registry.completeness).
        sites = list(access.visible_sites(request.user, study.sites.all()))
        site = request.query_params.get("site")
        if site:
            try:
                sites = [site_named(sites, site)]
            except ValidationError as refused:
                raise BadRequest({"site": refused.messages}) from None
        paginator = self.pagination_class()
        missing = completeness.patients_missing_data(study, sites).select_related("site")
        page = paginator.paginate_queryset(missing, request, self)
        answer = paginator.get_paginated_response(MissingPatientSerializer(page, many=True).data)
        answer.data["sites"] = SiteFiguresSerializer(
            completeness.site_figures(study, sites), many=True
        ).data
        answer.data["sections"] = [
            {"section": title, "patients_with_missing_data": patients, "missing": count}
            for title, patients, count in completeness.section_figures(study, sites)
        ]
        return answer
