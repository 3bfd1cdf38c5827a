from registry import casebook
from registry.management.refresh import PatientsRefreshCommand


class Command(PatientsRefreshCommand):
    help = (
        "Count the required fields of the patients' casebooks again, for one study or all; "
        "after the migration that brings the casebook in. Verifications and signatures are "
        "kept: no data changes."
    )

    def refresh(self, patients) -> str:
        ids = list(patients.values_list("pk", flat=True))
        casebook.casebooks_refreshed(ids)
        return f"Casebooks counted for {len(ids)} patients"
