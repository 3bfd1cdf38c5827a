"""The REST API, version 1. Thin views: parse, call the model layer or a selector, render.

By domain: studies and sites (studies), patients and their history (patients), the
sections of a patient's course (sections), API tokens (tokens), the user's notification
settings (account), the API's pages (docs).

Resources (all under /api/v1/):

- studies/ and studies/{code}/: read; studies are created by importing a cohort document
- studies/import/ (POST), studies/{code}/export/, .../export/patients.csv and .xlsx,
  .../export/deidentified.csv: whole cohorts (registry.api.cohorts)
- sites/ and sites/{id}/: read
- patients/ and patients/{id}/: every section nested on read; writes the patient's own fields
- patients/{id}/{list section}/: list and add records, e.g. patients/7/infusions/;
  {list section}/{id}/: read, change (PUT, PATCH) and delete one record, e.g. infusions/12/
- patients/{id}/{one-to-one section}/: read, PUT (creates or replaces), PATCH, DELETE,
  e.g. patients/7/eligibility/
- patients/{id}/history/: every change of the patient and its course, newest first
- queries/, patients/{id}/queries/ and queries/{id}/answer/ and close/: data queries
  (registry.api.queries)
- account/notifications/: the kinds of email the signed-in user receives (GET, PUT, PATCH;
  registry.api.views.account)

Reading needs a signed-in user and shows only what their study roles let them read
(registry.access): anything else answers 404. Writing needs the model's add/change/delete
permission and an editing role where the patient is (registry.api.permissions); importing,
the study's coordinator or administrator role, or the add_study permission for a new study;
exporting, the coordinator or administrator role.
Writes of patients and sections say why in X-Change-Reason and may name the version they
were made on in If-Match (see registry.api.audit).
"""
