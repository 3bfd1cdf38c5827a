"""The study roles (memberships), given and taken away by each study's administrators."""

from django import forms
from django.contrib import admin

from registry import access, models
from registry.admin.access import ScopedMembershipAdmin


class MembershipForm(forms.ModelForm):
    """A user's role in a study, refused where registry.access.membership_check refuses it."""

    class Meta:
        model = models.Membership
        fields = ["user", "study", "role", "sites", "investigator"]
        widgets = {"sites": forms.CheckboxSelectMultiple}
        help_texts = {
            "role": "A clinician enters and sees the patients of the sites ticked below only; "
            "coordinators, monitors and study administrators work at every site of the study.",
            "sites": "For a clinician, tick one site of the study at least. For the other "
            "roles, tick none.",
            "investigator": "A clinician who signs the casebooks of the patients of their "
            "sites, with their password",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sites = self.fields.get("sites")  # not there when the page is read-only
        if sites is not None:
            sites.queryset = sites.queryset.select_related("study")
            sites.label_from_instance = lambda site: f"{site.study.code}: {site.code} ({site})"

    def clean(self):
        cleaned = super().clean()
        # On a role already given, the user and the study are shown, not edited.
        study = cleaned.get("study") or (self.instance.study if self.instance.study_id else None)
        if study is not None and cleaned.get("role"):
            access.membership_check(
                study=study,
                role=cleaned["role"],
                sites=cleaned.get("sites") or [],
                investigator=bool(cleaned.get("investigator")),
            )
        return cleaned


def role_at(role: str, sites) -> str:
    """A role as the admin's log keeps it, e.g. "clinician at BOREN, PUMC"."""
    if role != models.Role.CLINICIAN:
        return f"{role} at every site"
    return f"{role} at {', '.join(sorted(site.code for site in sites))}"


@admin.register(models.Membership)
class MembershipAdmin(ScopedMembershipAdmin, admin.ModelAdmin):
    """Who holds which role in each study. Deleting a role revokes it."""

    form = MembershipForm
    list_display = ["user", "study", "role", "site_codes"]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter), "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "study"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sites")

    def get_readonly_fields(self, request, obj=None):
        # A role is changed in place; another user or study is another role.
        return ["user", "study"] if obj is not None else []

    def construct_change_message(self, request, form, formsets, add=False) -> str:
        """What the role is now and, on a change, what it was: the admin's log keeps it."""
        now = role_at(form.cleaned_data["role"], form.cleaned_data["sites"])
        if add:
            return f"Granted: {now}"
        return f"Changed: {role_at(form.initial['role'], form.initial['sites'])} → {now}"

    @admin.display(description="sites")
    def site_codes(self, membership) -> str:
        if membership.role != models.Role.CLINICIAN:
            return "every site"
        return ", ".join(sorted(site.code for site in membership.sites.all()))
