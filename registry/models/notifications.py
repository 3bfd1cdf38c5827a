from django.conf import settings
from django.db import models


class NotificationPreference(models.Model):
    """Which kinds of email a user receives; each kind is on until they turn it off.

    A user without a row receives every kind (registry.notifications reads a missing row
    as all on), so nobody misses a safety signal for not having opened the page yet.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    query_opened = models.BooleanField(
        "a data query is opened on a patient of my site",
        default=True,
        help_text="For clinicians: the site answers its patients' queries",
    )
    safety_signal = models.BooleanField(
        "a CRS or ICANS grade of 3 or more is recorded or computed",
        default=True,
        help_text="For study administrators",
    )
    overdue_digest = models.BooleanField(
        "weekly digest of my site's overdue follow-up visits",
        default=True,
        help_text="For clinicians",
    )
    import_summary = models.BooleanField(
        "summary of a cohort import",
        default=True,
        help_text="For study administrators",
    )

    # The kinds, in the order the page and the API give them.
    KINDS = ("query_opened", "safety_signal", "overdue_digest", "import_summary")

    class Meta:
        verbose_name = "notification preference"
        verbose_name_plural = "notification preferences"

    def __str__(self) -> str:
        return f"Notifications of {self.user}"
