"""What each ADaM dataset holds: its variables, in order, with the label, type and length
the SAS transport file, the Dataset-JSON columns and the Define-XML all take from here.

The names and labels keep to the SAS transport version 5 limits the ADaM rules follow: a
name of at most 8 letters, digits or underscores starting with a letter, a label of at
most 40 characters, text of at most 200.
"""

from dataclasses import dataclass, field

from registry.choices import DeathCause, Mrd, Product, ResponseStatus, Sex
from registry.models.patient import DAY_30_ASSESSMENT

TEXT, INTEGER, FLOAT, DATE = "text", "integer", "float", "date"
NAME_MAX, LABEL_MAX, TEXT_MAX = 8, 40, 200
# SAS stores every number, a date included, in 8 bytes.
NUMBER_LENGTH = 8
DATE_FORMAT = "DATE9."

YES_NO = (("Y", "Yes"), ("N", "No"))

# The registry's sexes and the analysis dataset's age groups (a child is under 18), as the
# ADaM codes SEX and AGEGR1.
SEX_CODES = {Sex.FEMALE: "F", Sex.MALE: "M"}
AGE_GROUPS = {"child": "<18", "adult": ">=18"}


def coded(choices) -> tuple[tuple[str, str], ...]:
    """A registry choice's codes in capitals, as ADaM writes them, with their labels."""
    return tuple((value.upper(), label) for value, label in choices.choices)


def longest(codes: tuple[tuple[str, str], ...]) -> int:
    return max(len(value) for value, _ in codes)


PRODUCTS = tuple((label.upper(), label) for label in Product.labels)
RESPONSES, MRD, DEATH_CAUSES = coded(ResponseStatus), coded(Mrd), coded(DeathCause)


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    kind: str = TEXT
    length: int = NUMBER_LENGTH  # a text's longest value in characters
    codes: tuple[tuple[str | int, str], ...] = ()  # (value, what it means)
    derivation: str = ""  # how it is derived, when its label does not say it

    @property
    def is_text(self) -> bool:
        return self.kind == TEXT


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    adam_class: str  # the ADaM class, as Define-XML names it
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...] = field(default_factory=tuple)
    subclass: str = ""

    @property
    def names(self) -> list[str]:
        return [variable.name for variable in self.variables]


def flag(name: str, label: str, derivation: str = "") -> Variable:
    return Variable(name, label, TEXT, 1, YES_NO, derivation)


# The identifiers every dataset starts with. The study code and the study id are at most 40
# characters each (registry.models.Study.code, Patient.subject_id).
STUDYID = Variable("STUDYID", "Study Identifier", length=40)
USUBJID = Variable(
    "USUBJID",
    "Unique Subject Identifier",
    length=81,
    derivation="STUDYID and SUBJID joined by a hyphen",
)
SUBJID = Variable("SUBJID", "Subject Identifier for the Study", length=40)
SITEID = Variable("SITEID", "Study Site Identifier", length=40)
TRT01A = Variable(
    "TRT01A", "Actual Treatment for Period 01", length=longest(PRODUCTS), codes=PRODUCTS
)
TRTSDT = Variable("TRTSDT", "Date of First Exposure to Treatment", DATE)

ADSL = Dataset(
    "ADSL",
    "Subject-Level Analysis Dataset",
    "SUBJECT LEVEL ANALYSIS DATASET",
    "One record per subject",
    ("STUDYID", "USUBJID"),
    (
        STUDYID,
        USUBJID,
        SUBJID,
        SITEID,
        Variable("AGE", "Age", INTEGER, derivation="Completed years at the first infusion"),
        Variable("AGEU", "Age Units", length=5, codes=(("YEARS", "Years"),)),
        Variable(
            "AGEGR1",
            "Pooled Age Group 1",
            length=5,
            codes=tuple((code, group.capitalize()) for group, code in AGE_GROUPS.items()),
        ),
        Variable(
            "SEX",
            "Sex",
            length=1,
            codes=tuple(sorted((code, Sex(sex).label) for sex, code in SEX_CODES.items())),
        ),
        TRT01A,
        TRTSDT,
        Variable("DOSEKG", "Dose (CAR-T cells/kg), First Infusion", INTEGER),
        flag("SAFFL", "Safety Population Flag", "Y when the patient was infused"),
        flag("ITTFL", "Intent-To-Treat Population Flag", "Y for every patient enrolled"),
        flag("PRALLOFL", "Prior Allogeneic HCT Flag"),
        flag("PRCD22FL", "Prior CD22 CAR-T Flag"),
        Variable("PRMCD19N", "Number of Prior Murine CD19 CAR-T", INTEGER),
        flag("MCD19RFL", "Resistant to All Murine CD19 CAR-T Flag"),
        flag("DTHFL", "Subject Death Flag", "Y for a death from the infusion on"),
        Variable("DTHDT", "Date of Death", DATE),
        Variable("DTHCAUS", "Cause of Death", length=longest(DEATH_CAUSES), codes=DEATH_CAUSES),
        Variable(
            "LSTALVDT",
            "Date Last Known Alive",
            DATE,
            derivation="The end of follow-up: last contact, the death date for a patient "
            "who died, or the clinical cut-off when earlier",
        ),
        Variable(
            "D30RESP",
            "Day-30 Response",
            length=longest(RESPONSES),
            codes=RESPONSES,
            derivation=DAY_30_ASSESSMENT.capitalize(),
        ),
        Variable("D30MRD", "Day-30 MRD", length=longest(MRD), codes=MRD),
        flag("RESPFL", "Day-30 Responder (CR or CRi) Flag"),
        Variable(
            "CRSGR",
            "Maximum CRS Grade (ASTCT), Analysed",
            INTEGER,
            derivation="CRSGRREC where recorded, else CRSGRCMP",
        ),
        Variable("CRSGRREC", "Maximum CRS Grade (ASTCT), Recorded", INTEGER),
        Variable(
            "CRSGRCMP",
            "Maximum CRS Grade (ASTCT), Computed",
            INTEGER,
            derivation="The worst daily ASTCT grade of the daily assessments",
        ),
        Variable(
            "ICANSGR",
            "Maximum ICANS Grade (ASTCT), Analysed",
            INTEGER,
            derivation="ICANGREC where recorded, else ICANGCMP",
        ),
        Variable("ICANGREC", "Maximum ICANS Grade (ASTCT), Recorded", INTEGER),
        Variable(
            "ICANGCMP",
            "Maximum ICANS Grade (ASTCT), Computed",
            INTEGER,
            derivation="The worst daily ASTCT grade of the daily assessments",
        ),
    ),
)

# ADTTE's censoring codes (CNSR): 0 is the event.
EVENT, LAST_CONTACT, AT_CUTOFF, COMPETING = 0, 1, 2, 3
CENSORING = (
    (EVENT, "Event"),
    (LAST_CONTACT, "Censored at last contact"),
    (AT_CUTOFF, "Censored at the clinical cut-off"),
    (COMPETING, "Competing event"),
)
# ADTTE's event types (EVNTTYPN): what ended the time, for the competing risks.
EVENT_TYPES = ((0, "Censored"), (1, "Event of the parameter"), (2, "Competing event"))
PARAMETERS = (
    ("OS", "Overall Survival (days)"),
    ("EFS", "Event-Free Survival (days)"),
    ("RFS", "Relapse-Free Survival (days)"),
    ("CIR", "Cumulative Incidence of Relapse (days)"),
    ("NRM", "Non-Relapse Mortality (days)"),
    ("DOR", "Duration of Response (days)"),
)

ADTTE = Dataset(
    "ADTTE",
    "Time-to-Event Analysis Dataset",
    "BASIC DATA STRUCTURE",
    "One record per subject per parameter",
    ("STUDYID", "USUBJID", "PARAMCD"),
    (
        STUDYID,
        USUBJID,
        SITEID,
        TRT01A,
        Variable("PARAMCD", "Parameter Code", length=3, codes=tuple((c, c) for c, _ in PARAMETERS)),
        Variable("PARAM", "Parameter", length=40, codes=tuple((p, p) for _, p in PARAMETERS)),
        Variable(
            "STARTDT",
            "Time-to-Event Origin Date for Subject",
            DATE,
            derivation="The first infusion; for DOR, the day-30 response assessment",
        ),
        Variable("ADT", "Analysis Date", DATE, derivation="STARTDT + AVAL days"),
        Variable("AVAL", "Analysis Value", INTEGER, derivation="Days from STARTDT to ADT"),
        Variable("AVALU", "Analysis Value Unit", length=4, codes=(("DAYS", "Days"),)),
        Variable("CNSR", "Censor", INTEGER, codes=CENSORING),
        Variable("EVNTDESC", "Event or Censoring Description", length=40),
        Variable("CNSDTDSC", "Censor Date Description", length=40),
        Variable("EVNTTYPN", "Event Type (N)", INTEGER, codes=EVENT_TYPES),
    ),
    subclass="TIME-TO-EVENT",
)

CRS, ICANS = "CRS", "ICANS"
TOXICITIES = (
    (CRS, "Cytokine release syndrome"),
    (ICANS, "Immune effector cell-associated neurotoxicity syndrome"),
)
ADAE = Dataset(
    "ADAE",
    "Adverse Events Analysis Dataset",
    "OCCURRENCE DATA STRUCTURE",
    "One record per subject per toxicity",
    ("STUDYID", "USUBJID", "AETERM"),
    (
        STUDYID,
        USUBJID,
        SITEID,
        TRT01A,
        TRTSDT,
        Variable("AETERM", "Reported Term for the Adverse Event", length=5, codes=TOXICITIES),
        Variable(
            "AEDECOD",
            "Dictionary-Derived Term",
            length=54,
            codes=tuple((d, d) for _, d in TOXICITIES),
        ),
        Variable(
            "ASTDT",
            "Analysis Start Date",
            DATE,
            derivation="TRTSDT + the onset day: CRS the site's recorded onset, else the "
            "first daily assessment graded 1 or more; ICANS that first daily assessment",
        ),
        Variable(
            "ASTDY",
            "Analysis Start Relative Day",
            INTEGER,
            derivation="The onset day + 1: the infusion day is day 1",
        ),
        Variable("ATOXGRN", "Maximum Grade (ASTCT), Analysed", INTEGER),
        Variable("AGRRECN", "Maximum Grade (ASTCT), Recorded", INTEGER),
        Variable("AGRCMPN", "Maximum Grade (ASTCT), Computed", INTEGER),
        Variable(
            "AGRSRC",
            "Source of the Analysed Grade",
            length=8,
            codes=(
                ("RECORDED", "Recorded by the site"),
                ("COMPUTED", "Computed from daily assessments"),
            ),
        ),
        flag("TOCIFL", "Tocilizumab Given Flag"),
        flag("CORTFL", "Corticosteroids Given Flag"),
        flag("PLEXFL", "Plasmapheresis Flag"),
    ),
)

DATASETS = {dataset.name: dataset for dataset in (ADSL, ADTTE, ADAE)}
