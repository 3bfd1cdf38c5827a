"""manage.py export_adam CODE -o DIR: the study's ADaM datasets (docs/adam.md), each as a
SAS transport file, Dataset-JSON and CSV, and the Define-XML describing them."""

from argparse import ArgumentParser
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.adam.define import define_xml
from analytics.adam.derive import adam_dataset
from analytics.adam.formats import CONTENT_TYPES, write
from analytics.adam.variables import DATASETS
from analytics.caching import study_cache
from analytics.params import AnalysisRequest
from analytics.results import selected_frame
from registry.models import Study
from registry.parameters import add_snapshot_arguments


class Command(BaseCommand):
    help = (
        "Write a study's ADaM datasets (ADSL, ADTTE, ADAE) as .xpt (SAS transport v5), "
        ".json (Dataset-JSON 1.1) and .csv, and define.xml (Define-XML 2.1), into a "
        "directory (docs/adam.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("study_code")
        parser.add_argument("-o", "--output", type=Path, required=True, help="directory to write")
        add_snapshot_arguments(
            parser,
            cutoff_help="the clinical cut-off (default: the study's; none: everything recorded)",
        )

    def handle(self, *args, study_code: str, output: Path, as_of: date | None, cutoff, **options):
        study = Study.objects.filter(code=study_code).first()
        if study is None:
            raise CommandError(f"No study with code {study_code!r}")
        given = {name: value for name, value in (("as_of", as_of), ("cutoff", cutoff)) if value}
        analysis = AnalysisRequest(given, None, "", None, study.data_cutoff)
        output.mkdir(parents=True, exist_ok=True)
        frame = selected_frame(study, study_cache(study), analysis)
        for name, dataset in DATASETS.items():
            found = adam_dataset(name, frame, study.code, analysis.cutoff)
            for file_format in CONTENT_TYPES:
                with (output / f"{name.lower()}.{file_format}").open("wb") as file:
                    write(found, dataset, file_format, file, study_code=study.code)
        (output / "define.xml").write_text(define_xml(study.code, study.title), encoding="utf-8")
        cut = analysis.cutoff.isoformat() if analysis.cutoff else "none"
        self.stderr.write(f"Wrote the ADaM datasets of {study.code} (cut-off {cut}) to {output}")
