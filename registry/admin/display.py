"""Values the admin computes from a saved record and shows beside its fields."""

from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.db import models

NOT_SAVED = "—"


def saved_record_display(description: str) -> Callable:
    """An admin's read-only value computed from a record: a dash on a record not saved yet,
    which has no stored values to compute it from."""

    def decorate(compute: Callable) -> Callable:
        @admin.display(description=description)
        @wraps(compute)
        def shown(model_admin: admin.ModelAdmin, record: models.Model):
            return compute(model_admin, record) if record.pk else NOT_SAVED

        return shown

    return decorate
