"""manage.py export_fhir CODE [-o FILE] [--ndjson]: a study as FHIR R4 (docs/fhir.md)."""

from argparse import ArgumentParser

from registry.interchange.fhir.writer import iter_bundle_json, iter_ndjson
from registry.management.exports import StudyExportCommand


class Command(StudyExportCommand):
    help = (
        "Export a study as FHIR R4: one Bundle of type collection (JSON), or with --ndjson "
        "one resource a line as FHIR Bulk Data writes them (docs/fhir.md)."
    )
    written = " as FHIR R4"
    in_bytes = True

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--ndjson",
            action="store_true",
            help="one resource a line (application/fhir+ndjson) instead of one Bundle",
        )

    def handle(self, *args, ndjson: bool = False, **options):
        self.ndjson = ndjson
        super().handle(*args, **options)

    def lines(self, study, as_of, cutoff):
        write = iter_ndjson if self.ndjson else iter_bundle_json
        return write(study, as_of, cutoff)
