from pathlib import Path

from registry.interchange.odm.reader import cohort_from_odm
from registry.management.commands import import_cohort


class Command(import_cohort.Command):
    help = (
        "Import a CDISC ODM 1.3.2 snapshot the registry exported (docs/odm.md) as a cohort "
        "document; all or nothing."
    )

    def read(self, file: Path) -> object:
        return cohort_from_odm(import_cohort.read_file(file))
