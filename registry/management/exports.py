"""What the export commands share: the study by its code, the file to write (standard
output by default), and --as-of, a data cut-off (registry.snapshots)."""

import sys
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.models import Study
from registry.snapshots import future_date_problem


def cutoff_date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM-DD") from None
    problem = future_date_problem(day)
    if problem:
        raise ArgumentTypeError(problem)
    return day


class StudyExportCommand(BaseCommand):
    """Writes `lines` of a study to a file or to standard output."""

    # What the export is, in "Wrote HCD19<written> to FILE".
    written = ""

    def lines(self, study: Study, as_of: date | None) -> Iterator[str]:
        raise NotImplementedError

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("study_code")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
        parser.add_argument(
            "--as-of",
            type=cutoff_date,
            metavar="YYYY-MM-DD",
            help="export the data as it stood at the end of this day (default: as it stands)",
        )

    def handle(self, *args, study_code: str, output: Path | None, as_of, **options):
        study = Study.objects.filter(code=study_code).first()
        if study is None:
            raise CommandError(f"No study with code {study_code!r}")
        if output is None:
            sys.stdout.writelines(self.lines(study, as_of))
            return
        with output.open("w", encoding="utf-8", newline="") as file:
            file.writelines(self.lines(study, as_of))
        self.stderr.write(f"Wrote {study.code}{self.written} to {output}")
