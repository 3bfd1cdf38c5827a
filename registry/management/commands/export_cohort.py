from registry.interchange.exporter import iter_cohort_json
from registry.management.exports import StudyExportCommand


class Command(StudyExportCommand):
    help = "Export a study as a cohort document (cart-cohort JSON)."

    def lines(self, study, as_of, cutoff):
        return iter_cohort_json(study, as_of, cutoff)
