from datetime import date

from django.core.management.base import BaseCommand, CommandError

from registry import quality
from registry.management.commands.lock_study import study_of
from registry.models import Study


class Command(BaseCommand):
    help = (
        "Open the registry's queries on the sections missing at the timepoints whose window "
        "has closed, and close those since recorded, for one study or all. Windows close as "
        "the days go by, with no write to set the queries off: run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="study code, e.g. HCD19; all studies without")
        parser.add_argument("--on", help="the day to read the windows on (YYYY-MM-DD); today")

    def handle(self, *args, code: str | None = None, on: str | None = None, **options):
        try:
            today = date.fromisoformat(on) if on else None
        except ValueError:
            raise CommandError(f"--on: {on!r} is not a date written YYYY-MM-DD") from None
        studies = [study_of(code)] if code else Study.objects.order_by("code")
        for study in studies:
            if study.locked_at is not None:
                # Its data can no longer change, so no query of it could be answered by a
                # correction.
                self.stdout.write(f"{study.code} is locked: its queries are left as they are")
                continue
            quality.overdue_queries_reconciled(study=study, today=today)
            self.stdout.write(f"Queries of missing sections reconciled for {study.code}")
