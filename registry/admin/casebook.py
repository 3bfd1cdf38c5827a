"""The casebooks in the admin: each section's status, where a study's administrator (or a
monitor with the admin) verifies sections, and the signatures, read-only. Signing is an
investigator's, a clinician who signs on the patient page with their password."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from registry import casebook, models
from registry.admin.access import ScopedSectionAdmin
from registry.sections import section_title


class ReadOnlyAdmin:
    """Derived or signed records: shown, never typed in the admin."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.SectionStatus)
class SectionStatusAdmin(ScopedSectionAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["patient", "section", "status", "missing_fields", "verified_by", "verified_at"]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter), "status", "section"]
    search_fields = ["patient__subject_id"]
    list_select_related = ["patient", "verified_by"]
    actions = ["verify"]

    @admin.display(description="required data missing")
    def missing_fields(self, row: models.SectionStatus) -> str:
        return ", ".join(casebook.field_label(row.section, name) for name in row.missing) or "—"

    @admin.action(
        description="Verify the selected sections (source data checked)", permissions=["verify"]
    )
    def verify(self, request, queryset) -> None:
        for row in queryset.select_related("patient__study"):
            label = f"{row.patient}: {section_title(row.section)}"
            try:
                casebook.section_verify(patient=row.patient, section=row.section, user=request.user)
            except (PermissionDenied, ValidationError) as refused:
                words = refused.messages if isinstance(refused, ValidationError) else [str(refused)]
                self.message_user(request, f"{label}: {' '.join(words)}", messages.ERROR)
            else:
                self.message_user(request, f"{label} verified.", messages.SUCCESS)

    def has_verify_permission(self, request) -> bool:
        # Seeing the rows is enough to be offered it: registry.casebook checks the role.
        return self.has_view_permission(request)


@admin.register(models.CasebookSignature)
class CasebookSignatureAdmin(ScopedSectionAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["patient", "signed_by", "signed_at", "meaning", "voided_at", "void_reason"]
    list_filter = [("voided_at", admin.EmptyFieldListFilter)]
    search_fields = ["patient__subject_id"]
    list_select_related = ["patient", "signed_by"]
