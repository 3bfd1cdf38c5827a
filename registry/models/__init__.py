from registry.models.patient import Patient
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
    "DailyAssessment",
    "Eligibility",
    "FollowUpEvent",
    "Genetics",
    "Infusion",
    "Lymphodepletion",
    "Patient",
    "PriorTherapy",
    "ResponseAssessment",
    "Site",
    "Study",
    "ToxicityRecord",
]
