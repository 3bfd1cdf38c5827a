import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.deidentified import DEIDENTIFIED_COLUMNS
from registry.flat_export import iter_patients_csv
from registry.interchange.exporter import patients_for_export
from registry.management.snapshot import add_as_of_argument
from registry.models import Study


class Command(BaseCommand):
    help = (
        "Export a study's patients de-identified, one CSV row each: pseudonyms, no birth "
        "dates, days from the first infusion instead of dates, no free text."
    )

    def add_arguments(self, parser):
        parser.add_argument("study_code")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
        add_as_of_argument(parser)

    def handle(self, *args, study_code: str, output: Path | None, as_of, **options):
        study = Study.objects.filter(code=study_code).first()
        if study is None:
            raise CommandError(f"No study with code {study_code!r}")
        lines = iter_patients_csv(patients_for_export(study, as_of), DEIDENTIFIED_COLUMNS)
        if output is None:
            sys.stdout.writelines(lines)
            return
        with output.open("w", encoding="utf-8", newline="") as file:
            file.writelines(lines)
        self.stderr.write(f"Wrote {study.code}, de-identified, to {output}")
