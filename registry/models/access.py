from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from registry.models.study import Site, Study


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician (enters and edits data at their own sites)"
    COORDINATOR = "coordinator", "Coordinator (every site; import, export, analytics)"
    MONITOR = "monitor", "Monitor (read-only; raises data queries)"
    ADMIN = "admin", "Study administrator"


class Membership(models.Model):
    """A user's role in one study, and for clinicians the sites they work at."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    sites = models.ManyToManyField(Site, blank=True, related_name="memberships")
    investigator = models.BooleanField(
        default=False,
        help_text="A clinician who signs the casebooks of the patients of their sites",
    )
    # Who held which role when: every grant, change and revoke, the sites included.
    history = HistoricalRecords(m2m_fields=[sites])

    class Meta:
        ordering = ["study", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "study"],
                name="membership_one_role_per_study",
                violation_error_message="This user already has a role in this study",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.study.code}"
