"""The codes the FHIR resources carry: standard ones only where the registry's value means
exactly what the code does, and the registry's own code system beside them for every
coded value, so that nothing depends on a standard code being there."""

from registry.analytes import CAR_T_MEASUREMENTS
from registry.units import LAB_UNITS_UCUM

SNOMED = "http://snomed.info/sct"
ICD_10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ADVERSE_EVENT_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SECURITY_LABELS = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"

# The registry's own names: URNs, since the registry has no web address of its own that
# every installation shares.
REGISTRY = "urn:cart-registry"
STUDY_CODES = f"{REGISTRY}:study"
ASTCT_GRADE = f"{REGISTRY}:extension:astct-grade"
# A prior therapy's relapse date: neither Procedure nor MedicationStatement has an element
# for when an outcome ended.
RELAPSE_DATE = f"{REGISTRY}:extension:relapse-date"
# The fields of a course's sections, each by its key in the cohort document.
FIELDS = f"{REGISTRY}:field"


def registry_system(name: str) -> str:
    """The registry's code system of one kind of coded value ("analyte", "product", …)."""
    return f"{REGISTRY}:{name}"


def study_ids(study_code: str) -> str:
    """The identifier system of a study's pseudonymous study ids: unique within a study."""
    return f"{REGISTRY}:study-id:{study_code}"


# Both codes name acute lymphoblastic leukaemia as a whole: neither has a B-cell one the
# registry could be sure of, so the text says B-ALL.
B_ALL = {
    "coding": [
        {"system": SNOMED, "code": "91857003", "display": "Acute lymphoid leukemia"},
        {"system": ICD_10, "code": "C91.0", "display": "Acute lymphoblastic leukaemia"},
    ],
    "text": "B-cell acute lymphoblastic leukaemia (B-ALL)",
}

BODY_WEIGHT = {"system": LOINC, "code": "29463-7", "display": "Body weight"}

# Fields of a section whose value a standard code names exactly, by the field's key.
STANDARD_FIELD_CODES = {
    "ecog": {"system": LOINC, "code": "89247-1", "display": "ECOG Performance Status score"},
}

# LOINC codes of the analytes measured in peripheral blood (or its serum or plasma): each
# names the specimen, so a value in marrow or CSF carries the registry's code only. An
# analyte left out has no code the registry is sure of.
BLOOD_LOINC = {
    "anc": ("751-8", "Neutrophils [#/volume] in Blood by Automated count"),
    "alc": ("731-0", "Lymphocytes [#/volume] in Blood by Automated count"),
    "platelets": ("777-3", "Platelets [#/volume] in Blood by Automated count"),
    "hemoglobin": ("718-7", "Hemoglobin [Mass/volume] in Blood"),
    "crp": ("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"),
    "ferritin": ("2276-4", "Ferritin [Mass/volume] in Serum or Plasma"),
    "fibrinogen": (
        "3255-7",
        "Fibrinogen [Mass/volume] in Platelet poor plasma by Coagulation assay",
    ),
    "ldh": ("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma"),
    "il6": ("26881-3", "Interleukin 6 [Mass/volume] in Serum or Plasma"),
}

# ASTCT grades as the severities FHIR's AdverseEvent takes (its binding is required);
# the grade itself is in the ASTCT_GRADE extension.
SEVERITY_OF_GRADE = {1: "mild", 2: "moderate", 3: "severe", 4: "severe", 5: "severe"}

TOXICITIES = {
    "crs": "Cytokine release syndrome (CRS)",
    "icans": "Immune effector cell-associated neurotoxicity syndrome (ICANS)",
}

# What the registry measures that has no standard code: its own code and the words.
MEASUREMENTS = {
    "car-t-cells-flow": CAR_T_MEASUREMENTS["cells_per_ul"],
    "car-t-copies-qpcr": CAR_T_MEASUREMENTS["copies_per_ug_dna"],
    "response": "Response of the leukaemia",
    "bm-blast-pct": "Bone marrow blasts",
    "mrd": "Minimal residual disease (MRD)",
    "mrd-level": "MRD level (fraction of cells)",
    "crs-day": "CRS of the day (ASTCT grade, computed)",
    "icans-day": "ICANS of the day (ASTCT grade, computed)",
    "eligibility": "Eligibility under the study's protocol",
    "genetics": "Genetics of the leukaemia",
}

# Whether a patient is eligible (registry.eligibility.Verdict.eligible), as a code and the
# verdict's label; "Incomplete" says that a criterion is not recorded.
ELIGIBILITY_CODES = {True: "eligible", False: "not-eligible", None: "not-judged"}

# Where in the course a therapy other than the registry's CAR-T cells was given.
PHASES = {
    "prior": "Before the CAR-T cells (prior therapy)",
    "follow-up": "After the CAR-T cells (follow-up)",
}


def coded(system: str, code: str, display: str) -> dict:
    """A CodeableConcept of one coding, its display as the text."""
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def measurement(code: str) -> dict:
    return coded(registry_system("measurement"), code, MEASUREMENTS[code])


def category(code: str) -> list[dict]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}]


def quantity(value: float, unit: str, ucum: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


def lab_quantity(value: float, unit: str) -> dict:
    """A lab value in the unit it was recorded in, with the unit's UCUM code."""
    return quantity(value, unit, LAB_UNITS_UCUM[unit])
