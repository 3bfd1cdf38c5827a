"""account/notifications/: the kinds of email the signed-in user receives
(registry.notifications), each on or off."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import notifications
from registry.api.schema import FIELD_ERRORS
from registry.api.serializers.fields import JsonBooleanField
from registry.http import AUTHENTICATION
from registry.models import NotificationPreference


def _kind(name: str) -> JsonBooleanField:
    label = NotificationPreference._meta.get_field(name).verbose_name
    return JsonBooleanField(required=True, help_text=f"Email me when {label}")


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    query_opened = _kind("query_opened")
    safety_signal = _kind("safety_signal")
    overdue_digest = _kind("overdue_digest")
    import_summary = _kind("import_summary")

    class Meta:
        model = NotificationPreference
        fields = list(NotificationPreference.KINDS)

    def validate(self, attrs: dict) -> dict:
        # A misspelt kind would otherwise be ignored, and the email it meant still sent.
        given = self.initial_data if isinstance(self.initial_data, dict) else {}
        unknown = sorted(set(given) - set(self.fields))
        if unknown:
            kinds = ", ".join(self.fields)
            raise serializers.ValidationError(
                {name: f"Not a kind of notification: choose among {kinds}" for name in unknown}
            )
        return attrs


class NotificationSettingsView(APIView):
    """GET: your kinds of email; PUT or PATCH: turn some on (true) or off (false)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="account_notifications_retrieve",
        responses=NotificationPreferenceSerializer,
        description="The kinds of email you receive: true is on. Every kind is on until "
        "you turn it off.",
    )
    def get(self, request) -> Response:
        preference = notifications.preference_of(request.user)
        return Response(NotificationPreferenceSerializer(preference).data)

    @extend_schema(
        operation_id="account_notifications_update",
        request=NotificationPreferenceSerializer,
        responses={200: NotificationPreferenceSerializer, 400: FIELD_ERRORS},
        description="Set every kind of email you receive (true or false each).",
    )
    def put(self, request) -> Response:
        return self._save(request, partial=False)

    @extend_schema(
        operation_id="account_notifications_partial_update",
        request=NotificationPreferenceSerializer,
        responses={200: NotificationPreferenceSerializer, 400: FIELD_ERRORS},
        description="Turn the kinds of email named on (true) or off (false); the others "
        "stay as they are.",
    )
    def patch(self, request) -> Response:
        return self._save(request, partial=True)

    def _save(self, request, *, partial: bool) -> Response:
        given = NotificationPreferenceSerializer(data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        preference = notifications.preference_save(user=request.user, values=given.validated_data)
        return Response(NotificationPreferenceSerializer(preference).data)
