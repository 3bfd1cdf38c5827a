from django.core.management.base import BaseCommand

from registry.access import membership_grant
from registry.management.memberships import add_membership_arguments, user_and_study
from registry.management.refusals import refused_as_command_error
from registry.models import Role


class Command(BaseCommand):
    help = (
        "Give a user a role in a study (see registry.access), replacing the role they had "
        "there. Clinicians work at the sites named with --site; the other roles at every site."
    )

    def add_arguments(self, parser):
        add_membership_arguments(
            parser, site_help="a site of the study (clinicians only; repeat for several)"
        )
        parser.add_argument("role", help=", ".join(Role.values))
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
