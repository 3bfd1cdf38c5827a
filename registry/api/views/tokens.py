"""API tokens: a token for a username and password, and revoking the token sent."""

from axes.helpers import get_lockout_message
from django.contrib.auth.signals import user_logged_in, user_logged_out
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.api.parsers import JSONParser
from registry.api.schema import ERROR, FIELD_ERRORS
from registry.signins import ADDRESS_PAUSED
from registry.tokens import TokenAuthentication, expired_tokens_deleted


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
        expired_tokens_deleted(user)
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
