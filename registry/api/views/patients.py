"""Patients, with every section of their course on read, and each patient's history."""

from collections.abc import Callable, Sequence
from functools import partial

from django.db import transaction
from django.http import Http404, HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import SearchFilter

from registry import access
from registry import models as registry
from registry.api import caching, filters
from registry.api import serializers as api
from registry.api.audit import VersionedRecordMixin
from registry.api.pagination import Pagination
from registry.api.schema import FIELD_ERRORS, PATIENT_ID
from registry.api.views.base import RegistryViewMixin
from registry.history import patient_history
from registry.http import AUTHENTICATION
from registry.sections import LIST_KEYS, ONE_TO_ONE_KEYS
from registry.selectors import patient_courses


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
        # Answer with the patient as the list shows it, status columns included, read in the
        # write's transaction: another request's deletion of the patient waits for the lock
        # the write took, rather than taking away the patient just saved before it is shown.
        with transaction.atomic():
            super().perform_create(serializer)
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
