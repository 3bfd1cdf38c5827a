from registry.models.access import Membership, Role
from registry.models.patient import Patient
from registry.models.queries import DataQuery
from registry.models.sections import (
    CarTCount,
    DailyAssessment,
    Eligibility,
    FollowUpEvent,
    Genetics,
    Infusion,
    Lymphodepletion,
    PriorTherapy,
    ResponseAssessment,
    ToxicityRecord,
)
from registry.models.study import Site, Study

__all__ = [
    "CarTCount",
    "DataQuery",
    "DailyAssessment",
    "Eligibility",
    "FollowUpEvent",
    "Genetics",
    "Infusion",
    "Lymphodepletion",
    "Membership",
    "Patient",
    "PriorTherapy",
    "ResponseAssessment",
    "Role",
    "Site",
    "Study",
    "ToxicityRecord",
]
