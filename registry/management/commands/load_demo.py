import os

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from registry.demo import SyntheticImportError, synthetic_cohort, synthetic_cohort_import

# (username, password, superuser): published passwords, for a demonstration only.
DEMO_LOGINS = (
    ("admin", "demo-admin-2019", True),
    ("coordinator", "demo-coordinator-2019", False),
    ("clinician", "demo-clinician-2019", False),
)

# What each demo login may change: coordinators every registry record, clinicians the
# patients and their courses (not studies or sites).
DEMO_PERMISSIONS = {
    "coordinator": Q(content_type__app_label="registry"),
    "clinician": Q(content_type__app_label="registry")
    & ~Q(content_type__model__in=["study", "site"]),
}


class Command(BaseCommand):
    help = (
        "Load the synthetic demonstration study (invented patients) and the demo logins. "
        "Safe to run again: the study is updated in place and the passwords are reset."
    )

    def handle(self, *args, **options):
        try:
            result = synthetic_cohort_import(data=synthetic_cohort())
        except SyntheticImportError as error:
            raise CommandError(str(error)) from None
        for username, password, superuser in DEMO_LOGINS:
            demo_user_ensure(username=username, password=password, superuser=superuser)
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            f"Loaded study {result.study.code}: {result.created + result.updated} patients. "
            "SYNTHETIC DEMO DATA, NOT REAL PATIENTS.\n"
            f"Open http://127.0.0.1:{port}/ and sign in with a demo login:"
        )
        for username, password, superuser in DEMO_LOGINS:
            role = "superuser" if superuser else "staff"
            self.stdout.write(f"  {username:<12} {password:<24} ({role})")
        self.stdout.write("These logins are public: never load the demo where real data is kept.")


def demo_user_ensure(*, username: str, password: str, superuser: bool) -> User:
    """Create the login or reset it, so that its published password always works."""
    user, _created = User.objects.get_or_create(username=username)
    user.is_active = True
    user.is_staff = True
    user.is_superuser = superuser
    user.set_password(password)
    user.save()
    if username in DEMO_PERMISSIONS:
        user.user_permissions.set(Permission.objects.filter(DEMO_PERMISSIONS[username]))
    return user
