"""The API's documentation pages."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView

SWAGGER_UI_CSP = {"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"]}


@method_decorator(csp_update(SWAGGER_UI_CSP), name="get")
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its script at this address (?script=) rather than inline in the page.

    drf-spectacular's page keeps a small inline <style> block and Swagger UI's stylesheet
    draws its icons from data: URLs: the Content-Security-Policy allows both on this page only.
    """
