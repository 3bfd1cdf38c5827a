"""A study's follow-up schedule: each patient's visits with their status, as a paged list
and as CSV (registry.schedule_list). Not the analytics' follow-up/, which is the median
follow-up."""

from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import access, schedule, schedule_list
from registry.api.pagination import Pagination
from registry.api.schema import ERROR, FIELD_ERRORS
from registry.http import AUTHENTICATION, STUDY_CODE, DownloadNegotiation
from registry.jsontext import JSONRenderer

DESCRIPTION = (
    "Each patient's visits of the study's timepoints (the study's settings), at the sites "
    "the user reads, with the status of each on the day asked for (`on`, today without "
    "it). A timepoint is done when each section it expects is recorded: a record of a "
    "section counted in days from the first infusion on a day inside the window; for the "
    "follow-up events, the last contact on or after the day the window opens; any other "
    "section, recorded. See docs/follow-up-schedule.md."
)


class VisitSerializer(serializers.Serializer):
    patient = serializers.IntegerField(help_text="The patient's id in the API")
    study_id = serializers.CharField(help_text="The patient's pseudonymous study id")
    site = serializers.CharField(help_text="Site code")
    timepoint = serializers.CharField(help_text="Timepoint name")
    target_day = serializers.IntegerField(help_text="Target day after the first infusion")
    window_opens = serializers.DateField(
        allow_null=True, help_text="The window's first day; null before any infusion"
    )
    due_date = serializers.DateField(allow_null=True, help_text="The target day's date")
    window_closes = serializers.DateField(
        allow_null=True, help_text="The window's last day; null before any infusion"
    )
    status = serializers.ChoiceField(
        choices=list(schedule.STATUS_LABELS),
        help_text=f"On the day asked for (`on`): {schedule.STATUS_HELP}",
    )
    reason = serializers.CharField(
        help_text="Why not applicable (died, withdrawn, after the clinical cut-off), or why "
        "upcoming without dates (not infused yet); empty otherwise"
    )


class ScheduleMixin:
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    def asked(self, request, code: str, also_allowed: tuple[str, ...] = ()):
        """The study, the user's sites in it, the validated parameters."""
        study = access.visible_studies(request.user).filter(code=code).first()
        if study is None:
            raise Http404
        sites = access.visible_sites(request.user, study.sites.all())
        params = schedule_list.schedule_params(request.query_params, study, sites, also_allowed)
        return study, sites, params


class ScheduleView(ScheduleMixin, APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="studies_schedule",
        description=DESCRIPTION,
        parameters=[STUDY_CODE, schedule_list.ScheduleParams],
        responses={200: VisitSerializer(many=True), 400: FIELD_ERRORS, 404: ERROR},
    )
    def get(self, request, code: str) -> Response:
        paginator = self.pagination_class()
        allowed = (paginator.page_query_param, paginator.page_size_query_param)
        study, sites, params = self.asked(request, code, allowed)
        visits = schedule_list.study_schedule(study, sites, params)
        count = schedule_list.visit_count(study, sites, params, visits)
        ids = paginator.paginate_counted(visits.values_list("pk", flat=True), count, self)
        rows = schedule_list.page_rows(visits, ids)
        return paginator.get_paginated_response(VisitSerializer(rows, many=True).data)


class ScheduleCsvView(ScheduleMixin, APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DownloadNegotiation

    @extend_schema(
        operation_id="studies_schedule_csv",
        description=DESCRIPTION + " One row per visit, the list's filters applied, unpaged.",
        parameters=[STUDY_CODE, schedule_list.ScheduleParams],
        responses={(200, "text/csv"): OpenApiTypes.STR, 400: FIELD_ERRORS, 404: ERROR},
    )
    def get(self, request, code: str) -> StreamingHttpResponse:
        visits = schedule_list.study_schedule(*self.asked(request, code))
        response = StreamingHttpResponse(
            schedule_list.schedule_csv(visits), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{code}-schedule.csv"'
        return response
