"""Coded values of the cohort interchange format; the stored value is the format's code."""

from django.db import models


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"


class ExtramedullarySite(models.TextChoices):
    CNS = "cns", "Central nervous system"
    TESTIS = "testis", "Testis"
    SKIN = "skin", "Skin"
    LYMPH_NODE = "lymph_node", "Lymph node"
    BONE = "bone", "Bone"
    OTHER = "other", "Other"


class PriorTherapyKind(models.TextChoices):
    MURINE_CD19_CART = "murine_cd19_cart", "Murine CD19 CAR-T"
    CD22_CART = "cd22_cart", "CD22 CAR-T"
    ALLO_HCT = "allo_hct", "Allogeneic HCT"
    OTHER_CART = "other_cart", "Other CAR-T"
    CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
    TKI = "tki", "Tyrosine kinase inhibitor"
    OTHER = "other", "Other"


CART_THERAPY_KINDS = (
    PriorTherapyKind.MURINE_CD19_CART,
    PriorTherapyKind.CD22_CART,
    PriorTherapyKind.OTHER_CART,
)


class PriorResponse(models.TextChoices):
    CR = "cr", "Complete remission"
    NR = "nr", "No response"


class Product(models.TextChoices):
    HUMANIZED_CD19 = "humanized_cd19", "Humanized CD19 CAR-T"
    MURINE_CD19 = "murine_cd19", "Murine CD19 CAR-T"
    CD22 = "cd22", "CD22 CAR-T"
    OTHER = "other", "Other"


class Oxygen(models.TextChoices):
    NONE = "none", "None"
    LOW_FLOW = "low_flow", "Low-flow nasal cannula (≤6 L/min) or blow-by"
    HIGH_FLOW = "high_flow", "High-flow cannula (>6 L/min), face mask, non-rebreather or Venturi"
    POSITIVE_PRESSURE = "positive_pressure", "Positive pressure (CPAP, BiPAP, ventilation)"


class Consciousness(models.TextChoices):
    AWAKE = "awake", "Awake and alert"
    AWAKENS_TO_VOICE = "awakens_to_voice", "Awakens to voice"
    AWAKENS_TO_TOUCH = "awakens_to_touch", "Awakens only to touch"
    UNAROUSABLE = "unarousable", "Unarousable, stupor or coma"


class Seizure(models.TextChoices):
    NONE = "none", "None"
    RESOLVED = "resolved", "Seizure that resolved rapidly or with intervention"
    PROLONGED = "prolonged", "Prolonged (>5 min) or repetitive seizures"


class MotorWeakness(models.TextChoices):
    NONE = "none", "None"
    DEEP_FOCAL = "deep_focal", "Deep focal weakness (hemiparesis, paraparesis)"


class CerebralEdema(models.TextChoices):
    NONE = "none", "None"
    FOCAL = "focal", "Focal or local edema"
    DIFFUSE = "diffuse", "Diffuse edema or signs of raised pressure"


class ResponseStatus(models.TextChoices):
    CR = "cr", "CR"
    CRI = "cri", "CRi"
    NR = "nr", "No response"
    NOT_EVALUABLE = "not_evaluable", "Not evaluable"


RESPONDER_STATUSES = (ResponseStatus.CR, ResponseStatus.CRI)


class Mrd(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    NOT_EVALUABLE = "not_evaluable", "Not evaluable"
    UNKNOWN = "unknown", "Unknown"


class MrdMethod(models.TextChoices):
    FLOW = "flow", "Flow cytometry"
    QPCR = "qpcr", "qPCR"


class EventKind(models.TextChoices):
    ALLO_HCT = "allo_hct", "Allogeneic HCT"
    RELAPSE = "relapse", "Relapse"
    DEATH = "death", "Death"
    B_CELL_RECOVERY = "b_cell_recovery", "B-cell recovery"
    CAR_T_LOSS = "car_t_loss", "Loss of CAR-T cells"
    OTHER_THERAPY = "other_therapy", "Other therapy"
    WITHDRAWAL = "withdrawal", "Withdrawal from the study"


class Cd19Status(models.TextChoices):
    POSITIVE = "positive", "CD19-positive"
    NEGATIVE = "negative", "CD19-negative"
    UNKNOWN = "unknown", "Unknown"


class DeathCause(models.TextChoices):
    DISEASE = "disease", "Disease"
    TRANSPLANT_RELATED = "transplant_related", "Transplant-related"
    INFECTION = "infection", "Infection"
    CRS = "crs", "CRS"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class DateFormat(models.TextChoices):
    """How the clinician pages of a study show and read dates; the value is the pattern
    shown to the user."""

    ISO = "YYYY-MM-DD", "ISO: YYYY-MM-DD (2019-10-15)"
    DAY_MONTH_YEAR = "DD/MM/YYYY", "Day-month-year: DD/MM/YYYY (15/10/2019)"
