import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.deidentified import DEIDENTIFIED_COLUMNS
from registry.flat_export import iter_patients_csv
from registry.interchange.exporter import CHUNK, patients_for_export
from registry.models import Study


class Command(BaseCommand):
    help = (
        "Export a study's patients de-identified, one CSV row each: pseudonyms, no birth "
        "dates, days from the first infusion instead of dates, no free text."
    )

    def add_arguments(self, parser):
        parser.add_argument("study_code")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    def handle(self, *args, study_code: str, output: Path | None, **options):
        study = Study.objects.filter(code=study_code).first()
        if study is None:
            raise CommandError(f"No study with code {study_code!r}")
        patients = patients_for_export(study).iterator(chunk_size=CHUNK)
        lines = iter_patients_csv(patients, DEIDENTIFIED_COLUMNS)
        if output is None:
            sys.stdout.writelines(lines)
            return
        with output.open("w", encoding="utf-8", newline="") as file:
            file.writelines(lines)
        self.stderr.write(f"Wrote {study.code}, de-identified, to {output}")
