from registry.deidentified import DEIDENTIFIED_COLUMNS
from registry.flat_export import iter_patients_csv
from registry.interchange.exporter import patients_for_export
from registry.management.exports import StudyExportCommand


class Command(StudyExportCommand):
    help = (
        "Export a study's patients de-identified, one CSV row each: pseudonyms, no birth "
        "dates, days from the first infusion instead of dates, no free text."
    )
    written = ", de-identified,"

    def lines(self, study, as_of, cutoff):
        patients = patients_for_export(study, as_of, cutoff)
        return iter_patients_csv(patients, DEIDENTIFIED_COLUMNS)
