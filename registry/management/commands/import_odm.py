from pathlib import Path

from registry.interchange.importer import ImportResult
from registry.interchange.odm.transactions import odm_import
from registry.management.commands import import_cohort


class Command(import_cohort.Command):
    help = (
        "Import a CDISC ODM 1.3.2 document (docs/odm.md): a snapshot as a cohort document, "
        "or a transactional document's changes to the study holding the snapshot it "
        "follows; checked against the ODM 1.3.2 schema first; all or nothing."
    )

    def imported(self, file: Path) -> ImportResult:
        return odm_import(body=import_cohort.read_file(file))
