from registry import schedule
from registry.management.refresh import PatientsRefreshCommand


class Command(PatientsRefreshCommand):
    help = (
        "Compute the follow-up schedule's visits again from the patients' courses, for one "
        "study or all; after the migration that brings the schedule in."
    )

    def refresh(self, patients) -> str:
        schedule.visits_refreshed(patients)
        return f"Visits computed for {patients.count()} patients"
