from django.core.management.base import BaseCommand

from registry.access import membership_revoke
from registry.management.memberships import add_membership_arguments, user_and_study
from registry.management.refusals import refused_as_command_error


class Command(BaseCommand):
    help = (
        "Take away a user's role in a study (see registry.access), or with --site only those "
        "sites of a clinician. A clinician keeps one site at least: naming every site they "
        "work at is refused, and nothing changes; to end their role, run the command without "
        "--site."
    )

    def add_arguments(self, parser):
        add_membership_arguments(
            parser, site_help="a site the clinician no longer works at (repeat for several)"
        )

    def handle(self, *args, username: str, study_code: str, sites, **options):
        user, study, sites_named = user_and_study(username, study_code, sites)
        with refused_as_command_error():
            membership = membership_revoke(user=user, study=study, sites=sites_named)
        if membership is None:
            self.stdout.write(f"{user} has no role in {study.code} any more")
            return
        left = ", ".join(sorted(membership.sites.values_list("code", flat=True)))
        self.stdout.write(f"{user} is now clinician in {study.code} at {left} only")
