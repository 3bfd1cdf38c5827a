"""What every endpoint under /api/v1/ shares, the registry's and the analytics' alike: how a
request signs in, the study code in the address, the study an export is of, and downloads
in their own format."""

from datetime import date

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from registry import access
from registry.jsontext import JSONRenderer
from registry.models.study import Study, code_validator
from registry.parameters import UnsettledDayWarningMixin
from registry.tokens import TokenAuthentication

# Why a user who reads a study may not export it.
EXPORTERS_ONLY = "Exports are for the study's coordinators and administrators"
# The first class names its scheme in WWW-Authenticate, which makes a request without
# credentials a 401 (Session first would make it a 403).
AUTHENTICATION = [TokenAuthentication, SessionAuthentication]

STUDY_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description="Study code",
    pattern=code_validator.regex.pattern,
)


class DownloadNegotiation(BaseContentNegotiation):
    """A download is in its own format whatever the Accept header says; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StudyDataView(UnsettledDayWarningMixin, APIView):
    """A GET of a study's data, statistics or a download: signed in, its answer in its own
    format whatever the Accept header says (?format= is one of its validated parameters,
    not DRF's renderer switch), its errors JSON."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DownloadNegotiation


def exported_study(user, code: str) -> Study:
    """The study `code` if `user` exports it; 403 if they only read it, else 404."""
    study = access.exportable_studies(user).filter(code=code).first()
    if study is None and access.visible_studies(user).filter(code=code).exists():
        raise PermissionDenied(EXPORTERS_ONLY)
    if study is None:
        raise Http404
    return study


def dated(response: HttpResponse, cutoff: date | str | None, as_of: date | str | None):
    """A download with the dates it was computed at in its headers (X-Data-Cutoff,
    X-Data-As-Of: the ISO date, or "none"), so that its header row stays the columns'."""
    response["X-Data-Cutoff"] = str(cutoff) if cutoff else "none"
    response["X-Data-As-Of"] = str(as_of) if as_of else "none"
    return response
