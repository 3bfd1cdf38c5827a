from registry.models.access import Membership, Role
from registry.models.labs import CarTCount, LabResult, ToxicityTreatment
from registry.models.patient import Patient
from registry.models.queries import DataQuery
from registry.models.sections import (
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
    "LabResult",
    "Lymphodepletion",
    "Membership",
    "Patient",
    "PriorTherapy",
    "ResponseAssessment",
    "Role",
    "Site",
    "Study",
    "ToxicityRecord",
    "ToxicityTreatment",
]
