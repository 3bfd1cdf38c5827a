import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.interchange.exporter import iter_cohort_json
from registry.management.snapshot import add_as_of_argument
from registry.models import Study


class Command(BaseCommand):
    help = "Export a study as a cohort document (cart-cohort JSON)."

    def add_arguments(self, parser):
        parser.add_argument("study_code")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
        add_as_of_argument(parser)

    def handle(self, *args, study_code: str, output: Path | None, as_of, **options):
        study = Study.objects.filter(code=study_code).first()
        if study is None:
            raise CommandError(f"No study with code {study_code!r}")
        if output is None:
            sys.stdout.writelines(iter_cohort_json(study, as_of))
            return
        with output.open("w", encoding="utf-8") as file:
            file.writelines(iter_cohort_json(study, as_of))
        self.stderr.write(f"Wrote {study.code} to {output}")
