from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError

from registry.access import membership_grant
from registry.management.refusals import refused_as_command_error
from registry.models import Role, Site, Study


class Command(BaseCommand):
    help = (
        "Give a user a role in a study (see registry.access), replacing the role they had "
        "there. Clinicians work at the sites named with --site; the other roles at every site."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("study_code")
        parser.add_argument("role", help=", ".join(Role.values))
        parser.add_argument(
            "--site",
            dest="sites",
            action="append",
            default=[],
            metavar="SITE_CODE",
            help="a site of the study (clinicians only; repeat for several)",
        )
        parser.add_argument(
            "--investigator",
            action="store_true",
            help="a clinician who signs the casebooks of the patients of their sites",
        )

    def handle(self, *args, username: str, study_code: str, role: str, sites, **options):
        user, study, sites_named = user_and_study(username, study_code, sites)
        investigator = options.get("investigator", False)
        with refused_as_command_error():
            membership = membership_grant(
                user=user, study=study, role=role, sites=sites_named, investigator=investigator
            )
        at = f" at {', '.join(sites)}" if sites else ""
        signs = " (investigator)" if membership.investigator else ""
        self.stdout.write(f"{user} is now {membership.role}{signs} in {study.code}{at}")


def user_and_study(
    username: str, study_code: str, site_codes: list[str]
) -> tuple[AbstractBaseUser, Study, list[Site]]:
    """The user, the study and the study's sites a command names; CommandError naming the
    first that is not there."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}")
    study = Study.objects.filter(code=study_code).first()
    if study is None:
        raise CommandError(f"No study {study_code!r}")
    found = {site.code: site for site in study.sites.filter(code__in=site_codes)}
    missing = [code for code in site_codes if code not in found]
    if missing:
        raise CommandError(f"Study {study.code} has no site {', '.join(missing)}")
    return user, study, [found[code] for code in site_codes]
