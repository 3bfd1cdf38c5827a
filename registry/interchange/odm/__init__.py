"""CDISC ODM 1.3.2 in and out (docs/odm.md): `metadata` the OIDs of the course's phases,
sections and fields; `writer` a study as a snapshot or the changes since a moment
(`changes`, read from the audit trail); `reader` a snapshot into a cohort document for the
cohort import."""
