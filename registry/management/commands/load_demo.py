import os

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from registry.access import membership_grant
from registry.demo import SyntheticImportError, synthetic_cohort, synthetic_cohort_import
from registry.models import Role

# (username, password, superuser): published passwords, for a demonstration only.
DEMO_LOGINS = (
    ("admin", "demo-admin-2019", True),
    ("coordinator", "demo-coordinator-2019", False),
    ("clinician", "demo-clinician-2019", False),
    ("monitor", "demo-monitor-2019", False),
)

# Each login's role in the demo study, and the sites of a clinician (registry.access).
DEMO_ROLES = {
    "admin": (Role.ADMIN, ()),
    "coordinator": (Role.COORDINATOR, ()),
    "clinician": (Role.CLINICIAN, ("SITE-A",)),
    "monitor": (Role.MONITOR, ()),
}

# What each demo login may change in the admin and the API, where its role allows:
# coordinators every registry record, clinicians the patients and their courses (not
# studies or sites); monitors only look.
DEMO_PERMISSIONS = {
    "coordinator": Q(content_type__app_label="registry"),
    "clinician": Q(content_type__app_label="registry")
    & ~Q(content_type__model__in=["study", "site"]),
    "monitor": Q(content_type__app_label="registry", codename__startswith="view_"),
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
            user = demo_user_ensure(username=username, password=password, superuser=superuser)
            role, sites = DEMO_ROLES[username]
            site_list = list(result.study.sites.filter(code__in=sites))
            membership_grant(user=user, study=result.study, role=role, sites=site_list)
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            f"Loaded study {result.study.code}: {result.created + result.updated} patients. "
            "SYNTHETIC DEMO DATA, NOT REAL PATIENTS.\n"
            f"Open http://127.0.0.1:{port}/ and sign in with a demo login:"
        )
        for username, password, superuser in DEMO_LOGINS:
            role, sites = DEMO_ROLES[username]
            where = f" at {', '.join(sites)}" if sites else ""
            kind = ", superuser" if superuser else ""
            self.stdout.write(f"  {username:<12} {password:<24} ({role}{where}{kind})")
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
