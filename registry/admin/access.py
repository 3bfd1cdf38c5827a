"""The admin as the study roles allow (registry.access), on top of the model permissions.

Each list shows only what the user reads; anything else answers 404, as if it did not
exist. A record the user reads but may not change is shown read-only, and a form offers
only the studies, sites and patients the user may put a record in.
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

from registry import access, models


def record_pk(model: type[Model], object_id: str):
    """The key of the record `object_id` of an admin address names; Http404 for what is no
    key of the model (`abc` for a number), as for a record not there."""
    try:
        return model._meta.pk.to_python(unquote(object_id))
    except ValidationError:
        raise Http404(f"No {model._meta.verbose_name} {object_id} here") from None


class ScopedAdmin:
    """A ModelAdmin limited by `visible` (a queryset filter) and `can_change` (per record),
    whose forms offer for a foreign key only what `offered` allows."""

    def visible(self, request, queryset):
        raise NotImplementedError

    def can_change(self, request, obj) -> bool:
        raise NotImplementedError

    def offered(self, request) -> dict[str, QuerySet]:
        """The records a form may offer, by name of the foreign key they fill; a key not
        named offers what Django does."""
        return {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        offered = self.offered(request)
        if db_field.name in offered:
            kwargs["queryset"] = offered[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return self.visible(request, super().get_queryset(request))

    def get_changelist_instance(self, request):
        # A filter's value the database cannot hold (on SQLite, an id over its integer
        # range) is refused as the admin refuses any wrong filter: back to the list.
        try:
            return super().get_changelist_instance(request)
        except OverflowError:
            raise IncorrectLookupParameters from None

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} {object_id} here")
        return obj

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.can_change(request, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.can_change(request, obj))

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history falls back to the last stored version of a record not in
        # get_queryset(): a superuser's way to a deleted record's history, nobody else's.
        if request.user.is_superuser:
            record_pk(self.model, object_id)
        else:
            self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not request.user.is_superuser:
            self.get_object(request, unquote(object_id))
        return super().history_form_view(request, object_id, version_id, extra_context)


class ScopedPatientAdmin(ScopedAdmin):
    def visible(self, request, queryset):
        return access.visible_patients(request.user, queryset)

    def can_change(self, request, obj) -> bool:
        return access.can_edit_patient(request.user, obj)

    def offered(self, request) -> dict[str, QuerySet]:
        sites = access.editable_sites(request.user)
        studies = models.Study.objects.filter(pk__in=sites.values("study"))
        return {"site": sites, "study": studies}


class ScopedSectionAdmin(ScopedAdmin):
    def visible(self, request, queryset):
        return access.visible_records(request.user, queryset)

    def can_change(self, request, obj) -> bool:
        return access.can_edit_patient(request.user, obj.patient)

    def offered(self, request) -> dict[str, QuerySet]:
        return {"patient": access.editable_patients(request.user)}


class ScopedInline:
    """An inline changed only where `may_change(request, parent)`; `obj` is the parent."""

    def may_change(self, request, parent) -> bool:
        raise NotImplementedError

    def _allowed(self, request, obj) -> bool:
        return obj is None or self.may_change(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._allowed(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._allowed(request, obj)


class ScopedSectionInline(ScopedInline):
    """A section on the patient's page."""

    def get_queryset(self, request):
        return access.visible_records(request.user, super().get_queryset(request))

    def may_change(self, request, parent) -> bool:
        return access.can_edit_patient(request.user, parent)


class ScopedStudyAdmin(ScopedAdmin):
    def visible(self, request, queryset):
        return access.visible_studies(request.user, queryset)

    def can_change(self, request, obj) -> bool:
        return access.can_administer_study(request.user, obj)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            access.study_creator_grant(user=request.user, study=obj)


class ScopedStudySettingsInline(ScopedInline):
    """A part of the study's settings on its page (its sites, its timepoints): changed by
    the study's administrators."""

    def may_change(self, request, parent) -> bool:
        return access.can_administer_study(request.user, parent)


class ScopedSiteInline(ScopedStudySettingsInline):
    """The sites on the study's page."""


class ScopedSiteAdmin(ScopedAdmin):
    def visible(self, request, queryset):
        return access.visible_sites(request.user, queryset)

    def can_change(self, request, obj) -> bool:
        return access.can_administer_study(request.user, obj.study)

    def offered(self, request) -> dict[str, QuerySet]:
        return {"study": access.administered_studies(request.user)}


class ScopedMembershipAdmin(ScopedAdmin):
    """Study roles: a study's administrators see and change everyone's in it, and everybody
    sees their own (registry.access.visible_memberships)."""

    def visible(self, request, queryset):
        return access.visible_memberships(request.user, queryset)

    def can_change(self, request, obj) -> bool:
        return access.can_administer_study(request.user, obj.study)

    def has_add_permission(self, request) -> bool:
        allowed = super().has_add_permission(request)
        return allowed and access.administered_studies(request.user).exists()

    def offered(self, request) -> dict[str, QuerySet]:
        return {"study": access.administered_studies(request.user)}

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "sites":
            studies = access.administered_studies(request.user)
            kwargs["queryset"] = models.Site.objects.filter(study__in=studies)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
