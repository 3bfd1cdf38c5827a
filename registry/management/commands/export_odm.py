from argparse import ArgumentParser, ArgumentTypeError
from datetime import datetime

from rest_framework import serializers

from registry.interchange.odm.writer import iter_odm_xml
from registry.management.exports import StudyExportCommand
from registry.parameters import SinceField


def since_moment(text: str) -> datetime:
    try:
        return SinceField().run_validation(text)
    except serializers.ValidationError as error:
        raise ArgumentTypeError(" ".join(error.detail)) from None


class Command(StudyExportCommand):
    help = (
        "Export a study as a CDISC ODM 1.3.2 document: a snapshot, or with --since the "
        "changes after a moment (docs/odm.md)."
    )
    written = " as ODM"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--since",
            type=since_moment,
            metavar="DATETIME",
            help="a transactional document of what changed after this moment "
            "(ISO 8601, e.g. 2025-03-01T08:00:00Z; default: a snapshot of everything)",
        )

    def handle(self, *args, since: datetime | None = None, **options):
        self.since = since
        super().handle(*args, **options)

    def lines(self, study, as_of, cutoff):
        return iter_odm_xml(study, as_of, cutoff, self.since)
