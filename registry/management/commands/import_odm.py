from pathlib import Path

from registry.interchange.importer import ImportResult
from registry.interchange.odm.transactions import odm_import
from registry.management.commands import import_cohort


class Command(import_cohort.Command):
    help = (
        "Import a CDISC ODM 1.3.2 document (docs/odm.md): a snapshot as a cohort document, "
        "or a transactional document's changes to the study holding the snapshot it "
        "follows; checked against the ODM 1.3.2 schema first; all or nothing. The file is "
        "read as a stream, never whole."
    )

    def imported(self, file: Path) -> ImportResult:
        import_cohort.refuse_missing_or_larger(file, "ODM_IMPORT_MAX_BYTES")
        with file.open("rb") as source:
            return odm_import(body=source)
