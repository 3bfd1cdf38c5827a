from registry.models.access import Membership, Role
from registry.models.casebook import CasebookSignature, SectionStatus
from registry.models.course_start import (
    Eligibility,
    Genetics,
    Infusion,
    Lymphodepletion,
    PriorTherapy,
)
from registry.models.labs import CarTCount, LabResult, ToxicityTreatment
from registry.models.notifications import NotificationPreference
from registry.models.outcomes import FollowUpEvent, ResponseAssessment
from registry.models.patient import Patient
from registry.models.queries import DataQuery
from registry.models.schedule import Timepoint, Visit
from registry.models.study import Site, Study
from registry.models.toxicity import DailyAssessment, ToxicityRecord

__all__ = [
    "CarTCount",
    "CasebookSignature",
    "DataQuery",
    "DailyAssessment",
    "Eligibility",
    "FollowUpEvent",
    "Genetics",
    "Infusion",
    "LabResult",
    "Lymphodepletion",
    "Membership",
    "NotificationPreference",
    "Patient",
    "PriorTherapy",
    "ResponseAssessment",
    "Role",
    "SectionStatus",
    "Site",
    "Study",
    "Timepoint",
    "ToxicityRecord",
    "ToxicityTreatment",
    "Visit",
]
