"""The shape of a command that computes something kept per patient again from the
patients' courses, for one study or all (after the migration that brings it in)."""

from django.core.management.base import BaseCommand
from django.db.models import QuerySet

from registry.management.commands.lock_study import study_of
from registry.models import Patient


class PatientsRefreshCommand(BaseCommand):
    """Give `refresh`, which computes again for `patients` and says what it did."""

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="study code, e.g. HCD19; all studies without")

    def handle(self, *args, code: str | None = None, **options):
        patients = Patient.objects.all()
        if code:
            patients = patients.filter(study=study_of(code))
        self.stdout.write(self.refresh(patients))

    def refresh(self, patients: QuerySet[Patient]) -> str:
        raise NotImplementedError
