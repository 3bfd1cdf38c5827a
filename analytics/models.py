"""The analysis dataset's stored rows, served between requests (analytics.dataset.stored).

A row is derived data: it can always be computed again from the patient's records, and it
is, whenever its patient changed since. So a row is stored with:

- the patient's `updated` when it was computed. Every save of the patient, and every save
  or deletion of one of its sections, moves `updated` on (registry.services, the cohort
  importer), so a row whose stamp differs is stale;
- the fingerprint of the code that computed it (analytics.dataset.stored.ROW_CODE), so a new
  version of the grading or of the dataset's rules never serves rows made by the old one.

Rows are not clinical data: they have no history, and a patient's deletion takes its row.
"""

from django.db import models

from registry.models import Patient


class AnalysisRow(models.Model):
    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="analysis_row"
    )
    stamp = models.DateTimeField(help_text="The patient's `updated` when the row was computed")
    code = models.CharField(max_length=16, help_text="The fingerprint of the code that made it")
    # JSON, as text: an array of the row's values in analytics.dataset.COLUMNS order, which
    # a cohort of 100,000 patients reads back several times faster than a JSON column.
    values = models.TextField()

    def __str__(self) -> str:
        return f"Analysis row of patient {self.patient_id}"
