import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry import jsontext
from registry.interchange.importer import ImportResult, cohort_import
from registry.interchange.reader import DocumentRejected


class Command(BaseCommand):
    help = "Import a cohort document (cart-cohort JSON); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def read(self, file: Path) -> object:
        """The cohort document the file holds."""
        return read_json_file(file)

    def imported(self, file: Path) -> ImportResult:
        """Import the file; raises DocumentRejected and writes nothing."""
        return cohort_import(data=self.read(file))

    def handle(self, *args, file: Path, **options):
        try:
            result = self.imported(file)
        except DocumentRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(f"{problem.path}: {problem.message}")
            raise CommandError(
                f"{len(rejected.problems)} problem(s) found; nothing was imported"
            ) from None
        records = result.records
        # Only a transactional ODM document removes patients.
        removed = f", {result.removed} removed" if result.removed else ""
        self.stdout.write(
            f"Imported study {result.study.code}: {result.created} patient(s) created, "
            f"{result.changed} changed, {result.unchanged} unchanged{removed}; records: "
            f"{records.created} created, {records.changed} changed, "
            f"{records.unchanged} unchanged, {records.deleted} deleted"
        )


def read_file(file: Path) -> bytes:
    refuse_missing_or_larger(file, "COHORT_IMPORT_MAX_BYTES")
    return file.read_bytes()


def refuse_missing_or_larger(file: Path, setting: str) -> None:
    """Refuse a file that is not there, or larger than the limit the setting names."""
    limit = getattr(settings, setting)
    if not file.is_file():
        raise CommandError(f"{file}: no such file")
    if file.stat().st_size > limit:
        raise CommandError(f"{file} is larger than the limit of {limit:,} bytes ({setting})")


def read_json_file(file: Path) -> object:
    try:
        return jsontext.loads(read_file(file))
    except jsontext.TooDeep as error:
        raise CommandError(f"{file}: {error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, jsontext.NotJSONNumber) as error:
        raise CommandError(f"{file} is not valid JSON: {error}") from None
