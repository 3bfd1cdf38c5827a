"""Data queries in the API (registry.queries has the rules):

- queries/?study=CODE&site=CODE&status=open&unresolved=true&rule=low-dose&older_than_days=14:
  the queries on patients the user reads (rule=person: those a person opened)
- queries/{id}/: one query
- patients/{id}/queries/: the patient's queries (GET); open one (POST {"field", "question"})
- queries/{id}/answer/ (POST {"answer"}), queries/{id}/close/ (POST) and
  queries/{id}/confirm/ (POST: the value is correct; the registry does not ask again)

A query on a patient the user does not read is not found (404); a step the user's role does
not allow is refused (403); a step the query's status does not allow, or bad input, is a 400;
a step on a patient another user deleted since it was read is a 404 saying so.
"""

from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registry import access
from registry import queries as services
from registry.api.audit import step_refusal
from registry.api.filters import DataQueryFilterSet
from registry.api.pagination import Pagination
from registry.api.schema import FIELD_ERRORS, PATIENT_ID, RECORD_ID
from registry.http import AUTHENTICATION
from registry.models import DataQuery
from registry.models.queries import TEXT_MAX_LENGTH


class DataQuerySerializer(serializers.ModelSerializer):
    patient = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Id of the patient")
    subject_id = serializers.CharField(
        source="patient.subject_id", read_only=True, help_text="The patient's study id"
    )
    site = serializers.CharField(
        source="patient.site.code", read_only=True, help_text="Code of the patient's site"
    )
    raised_by = serializers.CharField(
        source="raiser", read_only=True, help_text="Who opened the query: a user, or the registry"
    )
    answered_by = serializers.StringRelatedField(
        allow_null=True, help_text="Who answered; null until answered"
    )
    closed_by = serializers.CharField(
        source="closer",
        read_only=True,
        allow_null=True,
        help_text="Who closed or confirmed the query: a user, or the registry; null until then",
    )
    age_days = serializers.IntegerField(
        read_only=True, help_text="Days since the query was opened, to now or to its closing"
    )

    class Meta:
        model = DataQuery
        fields = [
            "id",
            "patient",
            "subject_id",
            "site",
            "field",
            "question",
            "status",
            "rule",
            "raised_by",
            "raised_at",
            "age_days",
            "answer",
            "answered_by",
            "answered_at",
            "closed_by",
            "closed_at",
            "close_reason",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Query id; its address in the API"},
            "question": {"help_text": "The monitor's question"},
            "status": {
                "help_text": "open, answered (by the site), closed or confirmed (as correct)"
            },
            "close_reason": {"help_text": "Why the registry closed it (corrected); else empty"},
            "raised_at": {"help_text": "When the query was opened"},
            "answer": {"help_text": "The site's answer; empty until answered"},
            "answered_at": {"help_text": "When the site answered; null until answered"},
            "closed_at": {"help_text": "When the query was closed; null until closed"},
        }


class QueryOpenSerializer(serializers.Serializer):
    field = serializers.CharField(
        max_length=DataQuery._meta.get_field("field").max_length,
        help_text=f"Where in the course, {services.FIELD_EXAMPLES}",
    )
    question = serializers.CharField(
        help_text=f"The question for the site, at most {TEXT_MAX_LENGTH:,} characters"
    )


class QueryAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        help_text=f"The site's answer, at most {TEXT_MAX_LENGTH:,} characters"
    )


@extend_schema_view(
    list=extend_schema(description="The data queries on the patients you read, newest first"),
    retrieve=extend_schema(parameters=[RECORD_ID], description="One data query"),
    answer=extend_schema(
        parameters=[RECORD_ID],
        request=QueryAnswerSerializer,
        responses={200: DataQuerySerializer, 400: FIELD_ERRORS},
        description="Answer an open query (whoever enters the patient's data)",
    ),
    close=extend_schema(
        parameters=[RECORD_ID],
        request=None,
        responses={200: DataQuerySerializer, 400: FIELD_ERRORS},
        description="Close an open or answered query (monitors, coordinators and administrators)",
    ),
    confirm=extend_schema(
        parameters=[RECORD_ID],
        request=None,
        responses={200: DataQuerySerializer, 400: FIELD_ERRORS},
        description="Confirm the value an open or answered query is about as correct: the "
        "registry's rule does not ask about it again (monitors, coordinators and administrators)",
    ),
)
class DataQueryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Questions about a patient's values, from the study's monitors to its sites."""

    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination
    serializer_class = DataQuerySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DataQueryFilterSet

    def get_queryset(self):
        queries = DataQuery.objects.select_related(
            "patient__site", "raised_by", "answered_by", "closed_by"
        )
        queries = services.visible_queries(self.request.user, queries)
        if "patient_pk" in self.kwargs:
            queries = queries.filter(patient=self.patient)
        return queries

    @cached_property
    def patient(self):
        patients = access.visible_patients(self.request.user).select_related("study")
        return get_object_or_404(patients, pk=self.kwargs["patient_pk"])

    @extend_schema(
        parameters=[PATIENT_ID],
        responses=DataQuerySerializer(many=True),
        description="The patient's data queries, newest first",
    )
    def patient_queries(self, request, *args, **kwargs) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        parameters=[PATIENT_ID],
        request=QueryOpenSerializer,
        responses={201: DataQuerySerializer, 400: FIELD_ERRORS},
        description="Open a query on a field of the patient's course (monitors, coordinators "
        "and administrators of the study)",
    )
    def patient_query_open(self, request, *args, **kwargs) -> Response:
        given = QueryOpenSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        query = self.perform(services.query_open, patient=self.patient, **given.validated_data)
        return Response(self.get_serializer(query).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def answer(self, request, *args, **kwargs) -> Response:
        given = QueryAnswerSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        query = self.perform(services.query_answer, query=self.get_object(), **given.validated_data)
        return Response(self.get_serializer(query).data)

    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs) -> Response:
        query = self.perform(services.query_close, query=self.get_object())
        return Response(self.get_serializer(query).data)

    @action(detail=True, methods=["post"])
    def confirm(self, request, *args, **kwargs) -> Response:
        query = self.perform(services.query_confirm, query=self.get_object())
        return Response(self.get_serializer(query).data)

    def perform(self, service, **arguments) -> DataQuery:
        """Run a step of registry.queries as the user; its refusal as a 400 naming the field,
        or a 404 when the patient went meanwhile (registry.api.audit.step_refusal)."""
        try:
            return service(user=self.request.user, **arguments)
        except DjangoValidationError as error:
            raise step_refusal(error) from error
