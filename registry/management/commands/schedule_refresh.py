from django.core.management.base import BaseCommand

from registry import schedule
from registry.management.commands.lock_study import study_of
from registry.models import Patient


class Command(BaseCommand):
    help = (
        "Compute the follow-up schedule's visits again from the patients' courses, for one "
        "study or all; after the migration that brings the schedule in."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="study code, e.g. HCD19; all studies without")

    def handle(self, *args, code: str | None = None, **options):
        patients = Patient.objects.all()
        if code:
            patients = patients.filter(study=study_of(code))
        schedule.visits_refreshed(patients)
        self.stdout.write(f"Visits computed for {patients.count()} patients")
