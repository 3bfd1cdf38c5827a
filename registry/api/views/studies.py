"""Studies and their sites: read only; a study is created by importing a cohort
(registry.api.cohorts)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from registry import access
from registry import models as registry
from registry.api import filters
from registry.api import serializers as api
from registry.api.views.base import RegistryViewMixin
from registry.http import STUDY_CODE


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
