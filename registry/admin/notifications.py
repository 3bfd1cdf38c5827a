"""Which kinds of email each user receives (registry.notifications): a superuser sees and
changes everyone's; any other user of the admin only their own."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from registry import models
from registry.admin.access import ScopedAdmin


@admin.register(models.NotificationPreference)
class NotificationPreferenceAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["user", *models.NotificationPreference.KINDS]
    list_filter = list(models.NotificationPreference.KINDS)
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]

    def visible(self, request, queryset):
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def can_change(self, request, obj) -> bool:
        return request.user.is_superuser or obj.user_id == request.user.pk

    def offered(self, request) -> dict[str, QuerySet]:
        if request.user.is_superuser:
            return {}
        return {"user": get_user_model().objects.filter(pk=request.user.pk)}
