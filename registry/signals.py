"""The registry's own signals."""

from django.dispatch import Signal

# Sent with `study` once a cohort import has committed. The importer writes in bulk, which
# sends no post_save, so what is derived from a study's data catches up here. Also sent:
# `user` (who imported, None for a command), `created` and `changed` (how many patients)
# and `patient_ids` (theirs).
cohort_imported = Signal()

# Sent with `study` when its required fields change (Study.save), in the same transaction:
# its patients' casebooks are counted again (registry.casebook).
required_fields_changed = Signal()

# Sent with `study` when what the registry's data-quality rules read of it changes
# (Study.save: its dose ceilings or clinical cut-off), in the same transaction: its
# queries are reconciled at once (registry.quality), not at each patient's next write.
quality_settings_changed = Signal()
