from datetime import date

from django.core.management.base import BaseCommand

from registry import notifications
from registry.management.commands.lock_study import study_of
from registry.parameters import date_argument


class Command(BaseCommand):
    help = (
        "Email each site's clinicians the site's overdue follow-up visits: the weekly digest, "
        "for a scheduler (cron, a systemd timer) to run once a week."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="study code, e.g. HCD19; all studies without")
        parser.add_argument(
            "--on",
            type=date_argument,
            help="the day the visits are overdue on (YYYY-MM-DD); today without",
        )

    def handle(self, *args, code: str | None = None, on: date | None = None, **options):
        study = study_of(code) if code else None
        sent = notifications.overdue_digests(on=on, study=study)
        self.stdout.write(
            f"Digests sent: {sent.emails}, for {sent.sites} sites with {sent.visits} overdue visits"
        )
