"""CDISC ODM 1.3.2 in and out (docs/odm.md): `metadata` the OIDs of the course's phases,
sections and fields; `writer` a study as a snapshot or the changes since a moment
(`changes`, read from the audit trail); `stream` an incoming document read as a stream and
checked (`validity`); `reader` a snapshot into the cohort import's patients, a batch at a
time."""
