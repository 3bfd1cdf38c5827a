"""The cohort interchange format (shared/spec/cohort-format.md): reading, writing, importing."""
