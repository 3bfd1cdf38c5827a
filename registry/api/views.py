"""The REST API, version 1. Thin views: parse, call the model layer or a selector, render.

Resources (all under /api/v1/):

- studies/ and studies/{code}/: read; studies are created by importing a cohort document
- studies/import/ (POST), studies/{code}/export/, .../export/patients.csv and .xlsx
- sites/ and sites/{id}/: read
- patients/ and patients/{id}/: every section nested on read; writes the patient's own fields
- patients/{id}/{list section}/: list and add records, e.g. patients/7/infusions/;
  {list section}/{id}/: read, change (PUT, PATCH) and delete one record, e.g. infusions/12/
- patients/{id}/{one-to-one section}/: read, PUT (creates or replaces), PATCH, DELETE,
  e.g. patients/7/eligibility/
- patients/{id}/history/: every change of the patient and its course, newest first
- queries/, patients/{id}/queries/ and queries/{id}/answer/ and close/: data queries
  (registry.api.queries)

Reading needs a signed-in user and shows only what their study roles let them read
(registry.access): anything else answers 404. Writing needs the model's add/change/delete
permission and an editing role where the patient is (registry.api.permissions); importing,
the study's coordinator or administrator role, or the add_study permission for a new study;
exporting, the coordinator or administrator role.
Writes of patients and sections say why in X-Change-Reason and may name the version they
were made on in If-Match (see registry.api.audit).
"""

from collections.abc import Iterator
from functools import cached_property
from io import BytesIO

from axes.helpers import get_lockout_message
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import generics, mixins, pagination, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.routers import use_replica
from registry import access, flat_export
from registry import models as registry
from registry.api import filters
from registry.api import serializers as api
from registry.api.audit import VersionedRecordMixin
from registry.api.permissions import OneToOnePermissions, RolePermissions
from registry.course import LIST_SECTIONS, ONE_TO_ONE_SECTIONS
from registry.deidentified import DEIDENTIFIED_COLUMNS
from registry.history import patient_history
from registry.interchange.exporter import CHUNK, iter_cohort_json, patients_for_export
from registry.interchange.importer import cohort_import
from registry.interchange.reader import DocumentRejected
from registry.models.study import code_validator
from registry.selectors import patients_with_status

# The first class names its scheme in WWW-Authenticate, which makes a request without
# credentials a 401 (Session first would make it a 403).
AUTHENTICATION = [TokenAuthentication, SessionAuthentication]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PATIENT_ID = OpenApiParameter(
    "patient_pk", int, OpenApiParameter.PATH, description="Id of the patient"
)
RECORD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Id of the record")
STUDY_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description="Study code",
    pattern=code_validator.regex.pattern,
)
ERROR = inline_serializer("Error", {"detail": serializers.CharField(help_text="What went wrong")})
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: each offending field (or non_field_errors) with its messages",
)


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page, from 1 to 500 (default 50)"
    max_page_size = 500

    def get_page_size(self, request) -> int:
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            message = f"A whole number from 1 to {self.max_page_size}"
            raise ValidationError({self.page_size_query_param: [message]})
        return int(value)

    def get_page_number(self, request, paginator) -> str:
        # A page past the end is a 404 (DRF's answer); a page that is not a number is a 400.
        number = super().get_page_number(request, paginator)
        if number not in self.last_page_strings and not str(number).isdigit():
            raise ValidationError({self.page_query_param: ["A page number: 1, 2, 3 …"]})
        return number

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        described = {
            "count": "How many results there are in all",
            "next": "Address of the next page; null on the last",
            "previous": "Address of the previous page; null on the first",
            "results": "The results on this page",
        }
        for name, description in described.items():
            paginated["properties"][name]["description"] = description
        return paginated


class RegistryViewMixin:
    authentication_classes = AUTHENTICATION
    permission_classes = [RolePermissions]
    parser_classes = [JSONParser]
    pagination_class = Pagination
    filter_backends: list = []


@extend_schema_view(retrieve=extend_schema(parameters=[STUDY_CODE]))
class StudyViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Studies and their protocol settings; a study is created by importing a cohort."""

    queryset = registry.Study.objects.all()
    serializer_class = api.StudySerializer
    lookup_field = "code"
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.StudyFilterSet

    def get_queryset(self):
        return access.visible_studies(self.request.user, super().get_queryset())


class SiteViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """The centres of each study."""

    queryset = registry.Site.objects.select_related("study")
    serializer_class = api.SiteSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.SiteFilterSet

    def get_queryset(self):
        return access.visible_sites(self.request.user, super().get_queryset())


@extend_schema_view(
    create=extend_schema(responses={201: api.PatientSerializer, 400: FIELD_ERRORS}),
    update=extend_schema(responses={200: api.PatientSerializer, 400: FIELD_ERRORS}),
    partial_update=extend_schema(responses={200: api.PatientSerializer, 400: FIELD_ERRORS}),
)
class PatientViewSet(VersionedRecordMixin, RegistryViewMixin, viewsets.ModelViewSet):
    """Patients with every section of their course; ?search= matches the study id."""

    serializer_class = api.PatientSerializer
    filter_backends = [DjangoFilterBackend, SearchFilter]
    filterset_class = filters.PatientFilterSet
    search_fields = ["subject_id"]

    def get_queryset(self):
        patients = registry.Patient.objects.select_related(
            "study", "site", *ONE_TO_ONE_SECTIONS
        ).prefetch_related(*LIST_SECTIONS)
        patients = access.visible_patients(self.request.user, patients)
        return patients_with_status(patients).annotate(
            first_infusion_date=filters.first_infusion_date()
        )

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if not kwargs.get("many"):
            # A study the user has no role in is not there: "does not exist", as for no study.
            serializer.fields["study"].queryset = access.visible_studies(self.request.user)
        return serializer

    def perform_create(self, serializer) -> None:
        site = serializer.validated_data.get("site")
        if site is not None and not access.can_edit_site(self.request.user, site):
            raise PermissionDenied(
                f"You do not enter data at site {site.code} of {site.study.code}"
            )
        super().perform_create(serializer)
        # Answer with the patient as the list shows it, status columns included.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    perform_update = perform_create


@extend_schema(parameters=[PATIENT_ID], responses={200: api.HistoryEntrySerializer(many=True)})
class PatientHistoryView(generics.ListAPIView):
    """Every change of a patient and its course, newest first: who, when, why, and each value
    before and after. Read-only; a deleted patient's history stays here."""

    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []  # the history is a list, not a queryset to filter or order
    serializer_class = api.HistoryEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # The OpenAPI schema is being generated: the path's id is a patient's.
            return registry.Patient.objects.none()
        pk = self.kwargs["patient_pk"]
        if not access.can_read_patient_history(self.request.user, pk):
            raise Http404
        return patient_history(pk)


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


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class TokenView(ObtainAuthToken):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="auth_token_create",
        description="Exchange a username and password for an API token; send it as "
        "`Authorization: Token <token>`.",
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(help_text="Your registry username"),
                "password": serializers.CharField(help_text="Your registry password"),
            },
        ),
        responses={
            200: inline_serializer(
                "TokenResponse", {"token": serializers.CharField(help_text="The API token")}
            ),
            400: FIELD_ERRORS,
            429: OpenApiResponse(
                ERROR, description="Too many failed sign-ins: the account is locked for a while"
            ),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # django-axes flags this REST framework request, which its middleware never sees.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(get_lockout_message()) from None
            raise
        user = serializer.validated_data["user"]
        # A token is a sign-in: django-axes resets the failure count, Django sets last_login.
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


SWAGGER_UI_CSP = {"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"]}


@method_decorator(csp_update(SWAGGER_UI_CSP), name="get")
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its script at this address (?script=) rather than inline in the page.

    drf-spectacular's page keeps a small inline <style> block and Swagger UI's stylesheet
    draws its icons from data: URLs: the Content-Security-Policy allows both on this page only.
    """


class CanImportCohorts(permissions.BasePermission):
    """An import creates and changes studies and patients."""

    required = [
        "registry.add_study",
        "registry.change_study",
        "registry.add_patient",
        "registry.change_patient",
    ]

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(self.required))


IMPORT_RESULT = inline_serializer(
    "ImportResult",
    {
        "study": serializers.CharField(help_text="Code of the imported study"),
        "created": serializers.IntegerField(help_text="Patients added"),
        "updated": serializers.IntegerField(help_text="Patients already there, replaced"),
    },
)
IMPORT_REJECTED = inline_serializer(
    "ImportRejected",
    {
        "detail": serializers.CharField(help_text="Why nothing was imported"),
        "problems": inline_serializer(
            "ImportProblem",
            {
                "path": serializers.CharField(
                    help_text="Where in the document, e.g. patients[3].events[1].date"
                ),
                "message": serializers.CharField(help_text="What is wrong there"),
            },
            many=True,
            help_text="Every problem found; empty when the body is not a cohort document",
        ),
    },
)


class CohortImportView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanImportCohorts]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="studies_import",
        description="Import a cohort document (format cart-cohort, version 1) as the JSON "
        "body: all or nothing. Creates the study and its sites where needed; patients "
        "already in the study (by study id) are replaced in place.",
        request=OpenApiTypes.OBJECT,
        responses={
            200: IMPORT_RESULT,
            400: IMPORT_REJECTED,
            413: OpenApiResponse(ERROR, description="Larger than COHORT_IMPORT_MAX_BYTES"),
        },
    )
    def post(self, request) -> Response:
        limit = settings.COHORT_IMPORT_MAX_BYTES
        if _content_length(request) > limit:
            detail = (
                f"The document is larger than the limit of {limit:,} bytes; nothing was imported"
            )
            return Response({"detail": detail}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        code = _study_code(request.data)
        if not access.can_import(request.user, code):
            raise PermissionDenied(f"Only the coordinators and administrators of {code} import it")
        new = not registry.Study.objects.filter(code=code).exists()
        try:
            result = cohort_import(data=request.data, user=request.user)
        except DocumentRejected as rejected:
            return Response(_rejection(rejected), status=status.HTTP_400_BAD_REQUEST)
        if new:
            access.study_creator_grant(user=request.user, study=result.study)
        counts = {"created": result.created, "updated": result.updated}
        return Response({"study": result.study.code, **counts})


def _study_code(data: object) -> object:
    study = data.get("study") if isinstance(data, dict) else None
    return study.get("code") if isinstance(study, dict) else None


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _rejection(rejected: DocumentRejected) -> dict:
    problems = [{"path": p.path, "message": p.message} for p in rejected.problems]
    detail = f"{len(problems)} problem(s) in the cohort document; nothing was imported"
    return {"detail": detail, "problems": problems}


class DownloadNegotiation(BaseContentNegotiation):
    """A download is in its own format whatever the Accept header says; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StudyDownloadView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DownloadNegotiation

    def study(self, code: str) -> registry.Study:
        user = self.request.user
        study = access.exportable_studies(user).filter(code=code).first()
        if study is None and access.visible_studies(user).filter(code=code).exists():
            raise PermissionDenied("Exports are for the study's coordinators and administrators")
        if study is None:
            raise Http404
        return study

    def patients(self, code: str) -> Iterator[registry.Patient]:
        patients = patients_for_export(self.study(code))
        with use_replica():
            return patients.iterator(chunk_size=CHUNK)


def on_replica(chunks: Iterator) -> Iterator:
    """Stream `chunks`, reading on the replica if there is one (see config.routers).

    Each step enters and leaves use_replica() itself: a streamed body is produced after
    the view has returned, possibly a step at a time in different threads (ASGI).
    """
    while True:
        with use_replica():
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CohortExportView(StudyDownloadView):
    @extend_schema(
        operation_id="studies_export",
        parameters=[STUDY_CODE],
        description="The study as a cohort document (format cart-cohort, version 1), streamed.",
        responses={(200, "application/json"): OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        chunks = on_replica(iter_cohort_json(self.study(code)))
        response = StreamingHttpResponse(chunks, content_type="application/json")
        return attachment(response, f"{code}-cohort.json")


class PatientsCsvView(StudyDownloadView):
    @extend_schema(
        operation_id="studies_export_patients_csv",
        parameters=[STUDY_CODE],
        description="One row per patient, every captured field; the columns are described "
        "in registry.flat_export.PATIENT_COLUMNS and the XLSX's columns sheet.",
        responses={(200, "text/csv"): OpenApiTypes.STR, 404: ERROR},
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        rows = on_replica(flat_export.iter_patients_csv(self.patients(code)))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        return attachment(response, f"{code}-patients.csv")


class PatientsXlsxView(StudyDownloadView):
    @extend_schema(
        operation_id="studies_export_patients_xlsx",
        parameters=[STUDY_CODE],
        description="The patients sheet as in the CSV, one sheet per list section (one row "
        "per record, with the study id) and a sheet describing the columns.",
        responses={(200, XLSX): OpenApiTypes.BINARY, 404: ERROR},
    )
    def get(self, request, code: str) -> HttpResponse:
        workbook = BytesIO()
        with use_replica():
            flat_export.write_patients_xlsx(self.patients(code), workbook)
        response = HttpResponse(workbook.getvalue(), content_type=XLSX)
        return attachment(response, f"{code}-patients.xlsx")


class DeidentifiedCsvView(StudyDownloadView):
    @extend_schema(
        operation_id="studies_export_deidentified_csv",
        parameters=[STUDY_CODE],
        description="The patients CSV made fit to share: pseudonyms instead of study ids, "
        "no birth dates (age at infusion instead), every date as days from the first "
        "infusion, no free text. See registry.deidentified.",
        responses={(200, "text/csv"): OpenApiTypes.STR, 404: ERROR},
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        rows = flat_export.iter_patients_csv(self.patients(code), DEIDENTIFIED_COLUMNS)
        response = StreamingHttpResponse(on_replica(rows), content_type="text/csv; charset=utf-8")
        return attachment(response, f"{code}-deidentified.csv")
