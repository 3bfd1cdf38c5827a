"""API tokens in the admin: django-rest-knox's list (user, created, expiry), where deleting a
token revokes it, but no adding: knox's add form lets a token be given with no expiry, and
tokens are given by POST /api/v1/auth/token/ only, each with API_TOKEN_TTL_DAYS."""

from django.contrib import admin
from knox.admin import AuthTokenAdmin
from knox.models import AuthToken

admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ExpiringAuthTokenAdmin(AuthTokenAdmin):
    def has_add_permission(self, request) -> bool:
        return False
