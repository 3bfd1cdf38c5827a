"""The REST API, version 1. Thin views: parse, call the model layer or a selector, render.

Resources (all under /api/v1/):

- studies/ and studies/{code}/: read; studies are created by importing a cohort document
- studies/import/ (POST), studies/{code}/export/, .../export/patients.csv and .xlsx,
  .../export/deidentified.csv: whole cohorts (registry.api.cohorts)
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

from collections.abc import Callable, Sequence
from functools import cached_property, partial

from axes.helpers import get_lockout_message
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.paginator import Paginator as DjangoPaginator
from django.http import Http404, HttpResponse
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
from knox.models import AuthToken
from rest_framework import generics, mixins, pagination, permissions, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access
from registry import models as registry
from registry.api import caching, filters
from registry.api import serializers as api
from registry.api.audit import VersionedRecordMixin
from registry.api.parsers import JSONParser
from registry.api.permissions import OneToOnePermissions, RolePermissions
from registry.api.schema import ERROR
from registry.history import patient_history
from registry.http import AUTHENTICATION, STUDY_CODE
from registry.sections import LIST_KEYS, ONE_TO_ONE_KEYS
from registry.selectors import patient_courses
from registry.signins import ADDRESS_PAUSED
from registry.tokens import TokenAuthentication

PATIENT_ID = OpenApiParameter(
    "patient_pk", int, OpenApiParameter.PATH, description="Id of the patient"
)
RECORD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Id of the record")
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: each offending field (or non_field_errors) with its messages",
)


class CountedPaginator(DjangoPaginator):
    """A paginator told how many results there are."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count


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

    def get_page_number(self, request, paginator) -> int:
        return self.checked_number(super().get_page_number(request, paginator))

    def checked_number(self, number: str | int) -> str | int:
        # A page past the end is a 404 (DRF's answer); a page that is not a number is a 400.
        if number in self.last_page_strings:
            return number
        if not str(number).isdigit():
            raise ValidationError({self.page_query_param: ["A page number: 1, 2, 3 …"]})
        return int(number)

    def paginate_counted(self, queryset, count: int, view) -> list:
        """paginate_queryset, for results whose count is known (registry.api.caching keeps
        the counts of the patient list)."""
        self.django_paginator_class = partial(CountedPaginator, count=count)
        return self.paginate_queryset(queryset, view.request, view)

    def page_found(self, ids: list[int]) -> dict:
        """The page just paginated, of the results `ids`, as the cache keeps it: without
        its links, which name the address asked for."""
        return {"count": self.page.paginator.count, "number": self.page.number, "ids": ids}

    def answer_page(self, request, page: dict) -> HttpResponse:
        """The answer for a page found by `page_found`, with its "results" as written JSON,
        and this request's links: the same JSON as get_paginated_response's."""
        self.request = request
        paginator = self.django_paginator_class(range(page["count"]), self.get_page_size(request))
        self.page = paginator.page(page["number"])
        links = {
            "count": page["count"],
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
        }
        # {"count":…,"next":…,"previous":…} with ,"results":[…] before the closing brace.
        written = caching.rendered(links)[:-1] + b',"results":' + page["results"] + b"}"
        return caching.answer(request, written)

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

    queryset = registry.Patient.objects.all()  # the model, for registry.api.permissions
    serializer_class = api.PatientSerializer
    filter_backends = [DjangoFilterBackend, SearchFilter]
    filterset_class = filters.PatientFilterSet
    search_fields = ["subject_id"]

    def get_queryset(self):
        # Model instances, for the writes and the rare uncached detail; the cached answers
        # are read as rows (patient_answers).
        patients = self.visible().select_related("study", "site", *ONE_TO_ONE_KEYS)
        return patients.prefetch_related(*LIST_KEYS)

    def visible(self):
        # In the order of the unique index (study, study id): ordering by the study's code
        # would make the database sort the whole study for each page.
        patients = registry.Patient.objects.order_by("study_id", "subject_id")
        return access.visible_patients(self.request.user, patients)

    def list(self, request, *args, **kwargs) -> HttpResponse:
        query = request.query_params
        page = caching.patient_page(request.user, query, self.page_found, self.patient_answers)
        return self.paginator.answer_page(request, page)

    def page_found(self, counted: Callable[[Callable[[], int]], int], sites: Sequence[int]) -> dict:
        # In two steps: the ids of the page's patients, then those patients with every
        # column and section (patient_answers). Filtering checks the parameters: a 400
        # naming any value refused. The patients of the sites the user reads (as visible()
        # picks them), the sites given as a list of ids: PostgreSQL checks the site of each
        # patient it passes in the index it walks for a page (Patient.Meta.indexes), where
        # the subquery costs it a join per patient passed.
        patients = registry.Patient.objects.order_by("study_id", "subject_id")
        patients = self.filter_queryset(patients.filter(site__in=sites))
        count = counted(patients.count)
        ids = self.paginator.paginate_counted(patients.values_list("pk", flat=True), count, self)
        return self.paginator.page_found(ids)

    def patient_answers(self, ids: Sequence[int]) -> Sequence[dict]:
        return self.get_serializer(patient_courses(ids), many=True).data

    def retrieve(self, request, *args, **kwargs) -> HttpResponse:
        if request.query_params:
            # The filters apply to a detail too (a patient they leave out is not found):
            # rarely asked, so not cached.
            return super().retrieve(request, *args, **kwargs)
        version = caching.patient_version(request.user, kwargs["pk"])
        # The ETag of the version the answer is filed under: the one it shows.
        self.versioned = version.record
        answer = caching.patient_detail(version, partial(self.patient_answer, version.pk))
        return caching.answer(request, answer)

    def patient_answer(self, pk: int) -> dict:
        courses = patient_courses([pk])
        if not courses:
            raise Http404  # deleted since its version was read
        return self.get_serializer(courses[0]).data

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
    """CAR-T cells of a patient by flow cytometry and qPCR, per specimen (car_t_counts)."""

    queryset = registry.CarTCount.objects.all()
    serializer_class = api.CarTCountSerializer


class LabResultViewSet(ListSectionViewSet):
    """Laboratory and biomarker values of a patient, as entered with their units (labs)."""

    queryset = registry.LabResult.objects.all()
    serializer_class = api.LabResultSerializer


class ToxicityTreatmentViewSet(ListSectionViewSet):
    """Dated treatments of a patient's CRS, ICANS and related toxicities
    (toxicity_treatments)."""

    queryset = registry.ToxicityTreatment.objects.all()
    serializer_class = api.ToxicityTreatmentSerializer


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


class TokenView(APIView):
    """POST: a new token for a username and password; DELETE: revoke the token sent."""

    authentication_classes = [TokenAuthentication]
    parser_classes = [JSONParser]

    def perform_authentication(self, request) -> None:
        # Asking for a token needs no credentials: an expired token sent along is not read.
        if request.method == "DELETE":
            super().perform_authentication(request)

    def get_permissions(self) -> list:
        return [permissions.IsAuthenticated()] if self.request.method == "DELETE" else []

    @extend_schema(
        operation_id="auth_token_create",
        description="Exchange a username and password for an API token; send it as "
        "`Authorization: Token <token>` until its expiry (API_TOKEN_TTL_DAYS after it was "
        "given) or until your password changes. Each call gives a new token.",
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(help_text="Your registry username"),
                "password": serializers.CharField(help_text="Your registry password"),
            },
        ),
        responses={
            200: inline_serializer(
                "TokenResponse",
                {
                    "token": serializers.CharField(help_text="The API token"),
                    "expiry": serializers.DateTimeField(help_text="When the token stops working"),
                },
            ),
            400: FIELD_ERRORS,
            429: OpenApiResponse(
                ERROR,
                description="Too many failed sign-ins: the account, or your network "
                "address, is locked for a while",
            ),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs) -> Response:
        user = self.signed_in_user(request)
        # A token is a sign-in: django-axes resets the failure count, Django sets last_login.
        user_logged_in.send(sender=type(user), request=request, user=user)
        instance, token = AuthToken.objects.create(user=user)
        return Response({"token": token, "expiry": instance.expiry})

    def signed_in_user(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # The authentication backends flag this REST framework request, which the
            # middleware that answers a refused sign-in on the pages never sees.
            if getattr(request, "signins_paused", False):
                raise LockedOut(ADDRESS_PAUSED) from None
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(get_lockout_message()) from None
            raise
        return serializer.validated_data["user"]

    @extend_schema(
        operation_id="auth_token_destroy",
        description="Revoke the token this request is sent with; the user's other tokens "
        "(other programs or devices) keep working.",
        responses={204: None},
    )
    def delete(self, request, *args, **kwargs) -> Response:
        request.auth.delete()
        user_logged_out.send(sender=type(request.user), request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


SWAGGER_UI_CSP = {"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"]}


@method_decorator(csp_update(SWAGGER_UI_CSP), name="get")
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its script at this address (?script=) rather than inline in the page.

    drf-spectacular's page keeps a small inline <style> block and Swagger UI's stylesheet
    draws its icons from data: URLs: the Content-Security-Policy allows both on this page only.
    """
