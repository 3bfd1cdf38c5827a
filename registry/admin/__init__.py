"""Coordinators' data entry: one patient on one page, with every section inline; and the
study roles, given and taken away by each study's administrators.

Each page shows and changes only what the user's study roles allow (registry.admin.access).

Every save and delete goes through registry.services: a change form asks for the reason
for change and carries the version it was opened on; the history of each record is shown
(django-simple-history) but cannot be edited, and nothing is reverted from it
(registry.admin.audit).

By domain: patients, the sections of their course, data queries, studies and sites, study roles, API
tokens, notification preferences. Django's admin imports this package; each of those
modules registers its models.
"""

from registry.admin import (  # noqa: F401
    casebook,
    notifications,
    patients,
    queries,
    roles,
    sections,
    studies,
    tokens,
)
