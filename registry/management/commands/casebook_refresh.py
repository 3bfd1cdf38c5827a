from django.core.management.base import BaseCommand

from registry import casebook
from registry.management.commands.lock_study import study_of
from registry.models import Patient


class Command(BaseCommand):
    help = (
        "Count the required fields of the patients' casebooks again, for one study or all; "
        "after the migration that brings the casebook in. Verifications and signatures are "
        "kept: no data changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="study code, e.g. HCD19; all studies without")

    def handle(self, *args, code: str | None = None, **options):
        patients = Patient.objects.all()
        if code:
            patients = patients.filter(study=study_of(code))
        ids = list(patients.values_list("pk", flat=True))
        casebook.casebooks_refreshed(ids)
        self.stdout.write(f"Casebooks counted for {len(ids)} patients")
