"""Data queries in the admin: the list of the queries on the patients the user reads, by
status, rule, site and age, and the monitor's two ways to settle them, closing and
confirming the value as correct (registry.queries, with its role checks). A query is opened
on the patient's page or by the registry, answered there, and never edited here."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from registry import queries
from registry.admin.access import ScopedAdmin
from registry.models import DataQuery


class AgeFilter(admin.SimpleListFilter):
    title = "open for at least"
    parameter_name = "older_than_days"

    def lookups(self, request, model_admin):
        return [("7", "7 days"), ("30", "30 days"), ("90", "90 days")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        found = queries.DataQueryFilterSet({"older_than_days": self.value()}, queryset=queryset)
        if not found.is_valid():
            return queryset.none()
        return found.qs


class RuleFilter(admin.SimpleListFilter):
    title = "opened by"
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return queries.RULE_CHOICES

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queries.DataQueryFilterSet({"rule": self.value()}, queryset=queryset).qs


@admin.register(DataQuery)
class DataQueryAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["patient", "field", "question", "status", "opened_by", "raised_at", "age"]
    list_filter = ["status", RuleFilter, "patient__site", AgeFilter]
    search_fields = ["patient__subject_id", "field", "question"]
    list_select_related = ["patient", "raised_by"]
    actions = ["confirm", "close"]
    readonly_fields = [field.name for field in DataQuery._meta.fields]

    def visible(self, request, queryset):
        return queries.visible_queries(request.user, queryset)

    def can_change(self, request, obj) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="opened by")
    def opened_by(self, query: DataQuery) -> str:
        return f"{query.raiser} ({query.rule})" if query.rule else query.raiser

    @admin.display(description="days open")
    def age(self, query: DataQuery) -> int:
        return query.age_days

    @admin.action(description="Confirm the values as correct", permissions=["view"])
    def confirm(self, request, selected):
        self._settle(request, selected, queries.query_confirm, "confirmed as correct")

    @admin.action(description="Close the queries", permissions=["view"])
    def close(self, request, selected):
        self._settle(request, selected, queries.query_close, "closed")

    def _settle(self, request, selected, step, done: str) -> None:
        settled = 0
        for query in selected.select_related("patient__study"):
            try:
                step(query=query, user=request.user)
            except (PermissionDenied, ValidationError) as refused:
                text = getattr(refused, "messages", None) or [str(refused)]
                self.message_user(request, f"{query}: {' '.join(text)}", messages.ERROR)
            else:
                settled += 1
        if settled:
            self.message_user(request, f"{settled} quer{'y' if settled == 1 else 'ies'} {done}.")
