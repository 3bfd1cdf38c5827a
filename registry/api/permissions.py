"""Who may write what through the API: the model permissions and the study roles.

Reads need no more than a signed-in user: every view's queryset goes through
registry.access, so what a user may not read is not found (404). A write needs the model's
permission (Django's add/change/delete) and an editing role where the patient is
(registry.access.can_edit_patient): a monitor, or anyone without that role there, gets a
403 for what they can read.
"""

from rest_framework import permissions

from registry import access


class RolePermissions(permissions.DjangoModelPermissions):
    def _queryset(self, view):
        # Only the model is needed here. DRF would call view.get_queryset(), which builds
        # the view's whole queryset (the patients' status columns) once more per request.
        if getattr(view, "queryset", None) is not None:
            return view.queryset
        return super()._queryset(view)

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        # A record added under its patient (patients/{id}/{section}/) is checked here: there
        # is no object yet.
        if request.method in permissions.SAFE_METHODS or "patient_pk" not in view.kwargs:
            return True
        return access.can_edit_patient(request.user, view.patient)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return access.can_edit_patient(request.user, access.patient_of(obj))


class OneToOnePermissions(RolePermissions):
    """PUT may create the record, so it needs the add permission as well as change."""

    perms_map = RolePermissions.perms_map | {
        "PUT": ["%(app_label)s.add_%(model_name)s", "%(app_label)s.change_%(model_name)s"]
    }
