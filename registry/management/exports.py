"""What the export commands share: the study by its code, the file to write (standard
output by default), --as-of, the data as recorded on a day (registry.snapshots), and
--cutoff, a clinical cut-off (registry.cutoff; none by default: the export is lossless)."""

import sys
from argparse import ArgumentParser
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.models import Study
from registry.parameters import add_snapshot_arguments, clinical_cutoff


class StudyExportCommand(BaseCommand):
    """Writes `lines` of a study to a file or to standard output."""

    # What the export is, in "Wrote HCD19<written> to FILE".
    written = ""
    # Whether `lines` gives bytes (UTF-8) rather than text: written as they are, not
    # decoded and encoded again.
    in_bytes = False

    def lines(
        self, study: Study, as_of: date | None, cutoff: date | None
    ) -> Iterator[str] | Iterator[bytes]:
        raise NotImplementedError

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("study_code")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
        add_snapshot_arguments(
            parser,
            cutoff_help="export the courses as known at this clinical cut-off: later events, "
            "assessments and counts left out, patients first infused after it left out "
            "(default: none, everything recorded)",
        )

    def handle(self, *args, study_code: str, output: Path | None, as_of, cutoff, **options):
        study = Study.objects.filter(code=study_code).first()
        if study is None:
            raise CommandError(f"No study with code {study_code!r}")
        cutoff = clinical_cutoff(cutoff, None)
        if output is None:
            stdout = sys.stdout.buffer if self.in_bytes else sys.stdout
            stdout.writelines(self.lines(study, as_of, cutoff))
            return
        opened = (
            output.open("wb") if self.in_bytes else output.open("w", encoding="utf-8", newline="")
        )
        with opened as file:
            file.writelines(self.lines(study, as_of, cutoff))
        self.stderr.write(f"Wrote {study.code}{self.written} to {output}")
