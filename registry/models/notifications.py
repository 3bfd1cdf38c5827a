from django.conf import settings
from django.db import models

from registry.grading import SEVERE_GRADE


def _kind(verbose_name: str, help_text: str) -> models.BooleanField:
    """A kind of email, on until the user turns it off."""
    return models.BooleanField(verbose_name, default=True, help_text=help_text)


class NotificationPreference(models.Model):
    """Which kinds of email a user receives; each kind is on until they turn it off.

    A user without a row receives every kind (registry.notifications reads a missing row
    as all on), so nobody misses a safety signal for not having opened the page yet.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    query_opened = _kind(
        "a data query is opened on a patient of my site",
        "For clinicians: the site answers its patients' queries",
    )
    safety_signal = _kind(
        f"a CRS or ICANS grade of {SEVERE_GRADE} or more is recorded or computed",
        "For study administrators",
    )
    overdue_digest = _kind("weekly digest of my site's overdue follow-up visits", "For clinicians")
    import_summary = _kind("summary of a cohort import", "For study administrators")

    # The kinds, in the order the page and the API give them.
    KINDS = ("query_opened", "safety_signal", "overdue_digest", "import_summary")

    class Meta:
        verbose_name = "notification preference"
        verbose_name_plural = "notification preferences"

    def __str__(self) -> str:
        return f"Notifications of {self.user}"
