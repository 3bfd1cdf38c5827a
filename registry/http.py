"""What every endpoint under /api/v1/ shares, the registry's and the analytics' alike: how a
request signs in, the study code in the address, and downloads in their own format."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation

from registry.models.study import code_validator
from registry.tokens import TokenAuthentication

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
