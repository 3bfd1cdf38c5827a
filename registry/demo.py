"""Synthetic cohorts: cohort documents of invented patients, for demonstrations and benchmarks.

Nothing here describes a real person. Proportions loosely follow the humanized CD19 CAR-T
study the registry was seeded with (An et al.; 19 patients, all after murine CD19 CAR-T,
CR/CRi 68% at day 30, most responders transplanted, CRS mostly grade 1-2, median dose
2.4x10^5 cells/kg) so that the demonstration's tables and curves look plausible.

Every generated patient passes every rule the import checks. The site's recorded maximum
toxicity grades are computed from the generated daily assessments with the registry's own
ASTCT grading, except for one patient in twenty, whose record deliberately disagrees so
that the registry's discrepancy flag has something to show.

Generation is linear in the number of patients and draws from one `random.Random(seed)`,
so a seed always gives the same document.
"""

import math
import random
from datetime import date, timedelta
from operator import itemgetter

from django.db import transaction

from registry import grading
from registry.interchange.importer import ImportResult, cohort_import
from registry.interchange.reader import DocumentRejected
from registry.interchange.schema import FORMAT_NAME, FORMAT_VERSION
from registry.models import Site, Study
from registry.models.patient import completed_years

TITLE = "Synthetic demonstration study — not real patients"
DATA_CUTOFF = date(2021, 7, 31)
FIRST_INFUSION = date(2019, 1, 14)
# Every patient has at least this much follow-up before the cut-off.
LAST_INFUSION = DATA_CUTOFF - timedelta(days=90)
ASSESSED_DAYS = range(11)
COUNT_DAYS = (1, 4, 7, 10, 14, 21, 28)
DISCREPANT_EVERY = 20
RESPONDED = ("cr", "cri")

# The study's default protocol, so that generated doses always respect it.
POST_HCT_DOSE_CEILING = Study._meta.get_field("dose_ceiling_post_hct_per_kg").default
DOSE_CEILING = Study._meta.get_field("dose_ceiling_per_kg").default
MEDIAN_DOSE = 240_000
MAX_DOSE = 1_800_000  # the paper's range was 1.0-18.0 x10^5 cells/kg


def _cumulative(weights: dict) -> tuple[tuple[object, float], ...]:
    total = sum(weights.values())
    running, table = 0.0, []
    for value, weight in weights.items():
        running += weight / total
        table.append((value, running))
    return tuple(table)


def _pick(rng: random.Random, table: tuple[tuple[object, float], ...]):
    roll = rng.random()
    for value, upto in table:
        if roll < upto:
            return value
    return table[-1][0]


def _one_of(rng: random.Random, options: tuple):
    # Most assessed days are quiet: skipping the draw for them keeps large cohorts fast.
    return options[0] if len(options) == 1 else rng.choice(options)


RESPONSE = _cumulative({"cr": 45, "cri": 20, "nr": 30, "not_evaluable": 5})
CRS_GRADES = _cumulative({0: 5, 1: 68, 2: 17, 3: 6, 4: 4})
ICANS_GRADES = _cumulative({0: 84, 1: 9, 2: 4, 3: 2, 4: 1})
CD19_AT_RELAPSE = _cumulative({"positive": 60, "negative": 35, "unknown": 5})
AGE_BANDS = _cumulative({(3, 11): 20, (12, 17): 22, (18, 55): 58})

EXTRAMEDULLARY = {
    "female": ("cns", "cns", "skin", "lymph_node", "bone", "other"),
    "male": ("cns", "cns", "testis", "skin", "lymph_node", "bone", "other"),
}
OTHER_FINDINGS = ("KMT2A rearrangement", "IKZF1 deletion", "CRLF2 rearrangement", "TCF3::PBX1")
SALVAGE = ("CD22 CAR-T", "Blinatumomab", "Inotuzumab ozogamicin", "Salvage chemotherapy")

# The signs of one CRS day at a grade, fever aside (ASTCT: the worse of hypotension, hypoxia).
CRS_SIGNS = {
    0: ({},),
    1: ({},),
    2: ({"hypotension": True}, {"oxygen": "low_flow"}, {"hypotension": True, "oxygen": "low_flow"}),
    3: (
        {"hypotension": True, "vasopressors": 1},
        {"hypotension": True, "vasopressin": True},
        {"oxygen": "high_flow"},
        {"hypotension": True, "vasopressors": 1, "oxygen": "low_flow"},
    ),
    4: (
        {"hypotension": True, "vasopressors": 2},
        {"oxygen": "positive_pressure"},
        {
            "hypotension": True,
            "vasopressors": 1,
            "vasopressin": True,
            "oxygen": "positive_pressure",
        },
    ),
}
# The findings of one ICANS day at a grade: ICE score from 12 years, CAPD below.
ICE_FINDINGS = {
    0: ({"ice_score": 10},),
    1: ({"ice_score": 7}, {"ice_score": 8}, {"ice_score": 9}),
    2: ({"ice_score": 5}, {"ice_score": 4, "consciousness": "awakens_to_voice"}),
    3: (
        {"ice_score": 2},
        {"ice_score": 6, "seizure": "resolved"},
        {"ice_score": 5, "cerebral_edema": "focal"},
        {"ice_score": 1, "consciousness": "awakens_to_touch"},
    ),
    4: (
        {"ice_score": 0, "consciousness": "unarousable"},
        {"ice_score": 3, "seizure": "prolonged"},
        {"ice_score": 4, "motor_weakness": "deep_focal"},
    ),
}
CAPD_FINDINGS = {
    0: ({"capd_score": 0},),
    1: ({"capd_score": 3}, {"capd_score": 6}, {"capd_score": 8}),
    2: ({"capd_score": 6, "consciousness": "awakens_to_voice"},),
    3: ({"capd_score": 12}, {"capd_score": 5, "seizure": "resolved"}),
    4: (
        {"capd_unable": True, "consciousness": "unarousable"},
        {"capd_score": 14, "seizure": "prolonged"},
    ),
}
QUIET_DAY = {
    "fever_masked": False,
    "hypotension": False,
    "vasopressors": 0,
    "vasopressin": False,
    "oxygen": "none",
    "consciousness": "awake",
    "seizure": "none",
    "motor_weakness": "none",
    "cerebral_edema": "none",
}


class SyntheticImportError(Exception):
    """A synthetic cohort was not imported; the message says why."""


def synthetic_cohort(
    *, code: str = "DEMO", patients: int = 60, sites: int = 3, seed: int = 2019
) -> dict:
    """A cohort document of invented patients, spread evenly over the sites."""
    rng = random.Random(seed)
    site_codes = [site_code(index) for index in range(sites)]
    width = max(3, len(str(patients)))
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "study": {"code": code, "title": TITLE, "data_cutoff": DATA_CUTOFF.isoformat()},
        "patients": [
            _patient(
                rng,
                study_id=f"{code}-{index + 1:0{width}d}",
                site=site_codes[index % sites],
                discrepant=index % DISCREPANT_EVERY == DISCREPANT_EVERY // 2,
            )
            for index in range(patients)
        ],
    }


def synthetic_cohort_import(*, data: dict) -> ImportResult:
    """Import a synthetic cohort and mark its study synthetic; never over a real study."""
    code = data["study"]["code"]
    with transaction.atomic():
        if Study.objects.filter(code=code, is_synthetic=False).exists():
            raise SyntheticImportError(
                f"Study {code} holds real patients; a synthetic cohort is not imported over it"
            )
        try:
            result = cohort_import(data=data)
        except DocumentRejected as rejected:
            shown = "; ".join(f"{p.path}: {p.message}" for p in rejected.problems[:5])
            raise SyntheticImportError(
                f"The generated cohort breaks the registry's rules, a bug in registry.demo "
                f"({rejected}): {shown}"
            ) from rejected
        result.study.is_synthetic = True
        result.study.save(update_fields=["is_synthetic"])
        unnamed = list(result.study.sites.filter(name=""))
        for site in unnamed:
            site.name = site_name(site.code)
        Site.objects.bulk_update(unnamed, ["name"])
    return result


def site_code(index: int) -> str:
    """SITE-A to SITE-Z, then SITE-AA, SITE-AB, ... as spreadsheet columns are lettered."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"SITE-{letters}"


def site_name(code: str) -> str:
    return f"Synthetic centre {code.removeprefix('SITE-')}"


def _patient(rng: random.Random, *, study_id: str, site: str, discrepant: bool) -> dict:
    span = (LAST_INFUSION - FIRST_INFUSION).days
    infused = FIRST_INFUSION + timedelta(days=rng.randint(0, span))
    born = _birth_date(rng, infused)
    age = completed_years(born, infused)
    lymphodepleted = infused - timedelta(days=rng.randint(4, 6))
    sex = "male" if rng.random() < 0.5 else "female"
    genetics = _genetics(rng)
    eligibility = _eligibility(rng, sex)
    prior_therapies = _prior_therapies(rng, infused, genetics["bcr_abl1"])
    transplanted = any(therapy["kind"] == "allo_hct" for therapy in prior_therapies)
    counts, lost_on_day = _car_t_counts(rng)
    days, tocilizumab = _daily_assessments(rng, child=age < grading.CHILD_UNDER_YEARS)
    response = _response_assessment(rng, eligibility["bm_blast_pct"] > 5, genetics["bcr_abl1"])
    follow_up = (DATA_CUTOFF - infused).days
    events = _events(rng, response, lost_on_day, follow_up)
    return {
        "study_id": study_id,
        "site": site,
        "sex": sex,
        "birth_date": born.isoformat(),
        "enrollment_date": (lymphodepleted - timedelta(days=rng.randint(3, 21))).isoformat(),
        "eligibility": eligibility,
        "genetics": genetics,
        "prior_therapies": prior_therapies,
        "lymphodepletion": _lymphodepletion(rng, lymphodepleted),
        "infusions": [_infusion(rng, infused, age, transplanted)],
        "car_t_counts": counts,
        "toxicities": _toxicities(rng, days, age, tocilizumab, discrepant),
        "daily_assessments": days,
        "response_assessments": [response],
        "events": [
            {"kind": event["kind"], "date": (infused + timedelta(days=day)).isoformat()} | event
            for day, event in events
        ],
        "last_contact_date": (
            infused + timedelta(days=_last_contact_day(rng, response, events, follow_up))
        ).isoformat(),
    }


def _birth_date(rng: random.Random, infused: date) -> date:
    youngest, oldest = _pick(rng, AGE_BANDS)
    age_days = int(rng.randint(youngest, oldest) * 365.25) + rng.randrange(365)
    return infused - timedelta(days=age_days)


def _genetics(rng: random.Random) -> dict:
    roll = rng.random()
    genetics = {
        "bcr_abl1": roll < 0.1,
        "ph_like": 0.1 <= roll < 0.45,
        "tp53_mutation": rng.random() < 0.1,
    }
    if rng.random() < 0.25:
        genetics["other"] = rng.choice(OTHER_FINDINGS)
    return genetics


def _eligibility(rng: random.Random, sex: str) -> dict:
    """Eligible under the seed protocol: >5% marrow blasts and/or extramedullary disease."""
    marrow = rng.random() < 0.63
    sites = []
    if not marrow or rng.random() < 0.15:
        sites = sorted(set(rng.sample(EXTRAMEDULLARY[sex], k=rng.choice((1, 1, 2)))))
    return {
        "cd19_blast_pct": round(rng.uniform(95, 100), 1),
        "bm_blast_pct": round(rng.uniform(7, 98) if marrow else rng.uniform(0, 4.9), 1),
        "extramedullary_sites": sites,
        "ecog": rng.choice((0, 1, 1, 2)),
        "adequate_organ_function": True,
    }


def _prior_therapies(rng: random.Random, infused: date, bcr_abl1: bool) -> list[dict]:
    """Built backwards from the relapse that led to the infusion, returned oldest first."""
    cart_kinds = ["cd22_cart"] if rng.random() < 0.55 else []
    cart_kinds += ["murine_cd19_cart"] * (2 if rng.random() < 0.15 else 1)
    cursor = infused - timedelta(days=rng.randint(21, 60))
    therapies = []
    for kind in cart_kinds:
        responded = rng.random() < (0.84 if kind == "murine_cd19_cart" else 0.6)
        given = cursor - timedelta(days=rng.randint(45, 300) if responded else rng.randint(28, 60))
        therapy = {"kind": kind, "date": given.isoformat(), "best_response": "nr"}
        if responded:
            therapy |= {"best_response": "cr", "relapse_date": cursor.isoformat()}
        therapies.append(therapy)
        cursor = given - timedelta(days=rng.randint(20, 60))
    if rng.random() < 0.35:
        cursor -= timedelta(days=rng.randint(90, 400))
        therapies.append({"kind": "allo_hct", "date": cursor.isoformat()})
    if bcr_abl1:
        cursor -= timedelta(days=rng.randint(60, 200))
        therapies.append({"kind": "tki", "date": cursor.isoformat()})
    cursor -= timedelta(days=rng.randint(14, 365))
    therapies.append({"kind": "chemotherapy", "date": cursor.isoformat()})
    therapies.reverse()
    return therapies


def _lymphodepletion(rng: random.Random, start: date) -> dict:
    return {
        "start_date": start.isoformat(),
        "fludarabine_mg_m2_per_day": 30,
        "cyclophosphamide_mg_m2_per_day": 250 if rng.random() < 0.7 else 0,
        "days": 3,
    }


def _infusion(rng: random.Random, infused: date, age: int, transplanted: bool) -> dict:
    ceiling = POST_HCT_DOSE_CEILING if transplanted else min(DOSE_CEILING, MAX_DOSE)
    dose = int(round(rng.lognormvariate(math.log(MEDIAN_DOSE), 0.6), -4))
    if age < 18:
        weight = max(12.0, 8 + 2.8 * age + rng.gauss(0, 4))
    else:
        weight = rng.uniform(45, 90)
    return {
        "date": infused.isoformat(),
        "product": "humanized_cd19",
        "weight_kg": round(weight, 1),
        "cells_per_kg": min(ceiling, max(100_000, dose)),
        "lot": f"SYN-{infused:%y%m}-{rng.randrange(10_000):04d}",
    }


def _car_t_counts(rng: random.Random) -> tuple[list[dict], int | None]:
    """Levels on COUNT_DAYS (cells/µL), and the day the cells were lost if they were."""
    if rng.random() < 0.1:
        return [{"day": day, "cells_per_ul": 0.0} for day in COUNT_DAYS], None
    peak = rng.lognormvariate(math.log(5.2), 1.0)
    peak_day = rng.choice((7, 10, 14))
    lost_on_day = None
    if rng.random() < 0.5:
        lost_on_day = rng.choice([day for day in COUNT_DAYS if day > peak_day])
    counts = []
    for day in COUNT_DAYS:
        if lost_on_day is not None and day >= lost_on_day:
            level = 0.0
        elif day <= peak_day:
            level = max(0.01, round(peak * (day / peak_day) ** 2, 2))
        else:
            level = max(0.01, round(peak * 0.5 ** ((day - peak_day) / 7), 2))
        counts.append({"day": day, "cells_per_ul": level})
    return counts, lost_on_day


def _grades_by_day(rng: random.Random, peak_grade: int, earliest: int, latest: int) -> list:
    """A toxicity's grade on each assessed day: rising to its peak, then easing off."""
    grades = [0] * len(ASSESSED_DAYS)
    if peak_grade == 0:
        return grades
    day = rng.randint(earliest, latest)
    for _ in range(rng.randint(0, 2)):
        grades[day] = 1
        day += 1
    for grade in range(peak_grade, 0, -1):
        if day >= len(grades):
            break
        grades[day] = grade
        day += 1
    return grades


def _daily_assessments(rng: random.Random, *, child: bool) -> tuple[list[dict], bool]:
    """Days 0-10, and whether tocilizumab was given (at a CRS peak of grade 2 or more).

    After tocilizumab the fever is masked: the later days have no fever, and only their
    hypotension or hypoxia grades them.
    """
    crs_peak = _pick(rng, CRS_GRADES)
    crs = _grades_by_day(rng, crs_peak, 0, 3)
    icans = _grades_by_day(rng, _pick(rng, ICANS_GRADES), 3, 6)
    treated_after = crs.index(crs_peak) if crs_peak >= 2 else None
    findings = CAPD_FINDINGS if child else ICE_FINDINGS
    days = []
    for day in ASSESSED_DAYS:
        masked = treated_after is not None and day > treated_after
        fever = crs[day] >= 1 and not masked
        temperature = rng.uniform(38.0, 40.5) if fever else rng.uniform(36.2, 37.8)
        days.append(
            {"day": day, "temperature_c": round(temperature, 1)}
            | QUIET_DAY
            | {"fever_masked": masked}
            | _one_of(rng, CRS_SIGNS[crs[day]])
            | _one_of(rng, findings[icans[day]])
        )
    return days, treated_after is not None


def _toxicities(
    rng: random.Random, days: list[dict], age: int, tocilizumab: bool, discrepant: bool
) -> dict:
    """The site's record, graded from the days with the registry's ASTCT rules."""
    crs = [_crs_grade(day) for day in days]
    icans = max(_icans_grade(day, age) for day in days)
    record = {"crs_max_grade": max(crs), "icans_max_grade": icans}
    if max(crs):
        record["crs_onset_day"] = next(
            day["day"] for day, grade in zip(days, crs, strict=True) if grade
        )
    record |= {
        "tocilizumab": tocilizumab,
        "corticosteroids": max(crs) >= 3 or icans >= 2,
        "plasmapheresis": max(crs) >= 4,
    }
    if discrepant:
        key = "crs_max_grade" if rng.random() < 0.6 else "icans_max_grade"
        record[key] = record[key] + 1 if record[key] < 4 else 3
    return record


def _crs_grade(day: dict) -> int:
    return grading.crs_grade(
        temperature_c=day["temperature_c"],
        fever_masked=day["fever_masked"],
        hypotension=day["hypotension"],
        vasopressors=day["vasopressors"],
        vasopressin=day["vasopressin"],
        oxygen=day["oxygen"],
    ).grade


def _icans_grade(day: dict, age: int) -> int:
    return grading.icans_grade(
        age_years=age,
        ice_score=day.get("ice_score"),
        capd_score=day.get("capd_score"),
        capd_unable=day.get("capd_unable", False),
        consciousness=day["consciousness"],
        seizure=day["seizure"],
        motor_weakness=day["motor_weakness"],
        cerebral_edema=day["cerebral_edema"],
    ).grade


def _response_assessment(rng: random.Random, marrow_disease: bool, bcr_abl1: bool) -> dict:
    status = _pick(rng, RESPONSE)
    assessment = {"day": rng.randint(28, 32), "status": status}
    method = "qpcr" if bcr_abl1 and rng.random() < 0.5 else "flow"
    if status == "not_evaluable":
        return assessment | {"mrd": "not_evaluable"}
    if status == "nr":
        blasts = round(rng.uniform(6, 90) if marrow_disease else rng.uniform(0, 4.9), 1)
        level = round(max(blasts, 0.05) / 100, 6)
        return assessment | {
            "bm_blast_pct": blasts,
            "mrd": "positive",
            "mrd_level": level,
            "mrd_method": method,
        }
    assessment["bm_blast_pct"] = round(
        rng.uniform(0, 1) if rng.random() < 0.85 else rng.uniform(1, 4.9), 1
    )
    if not marrow_disease and rng.random() < 0.3:
        return assessment | {"mrd": "not_evaluable"}
    if rng.random() < 0.8:
        return assessment | {"mrd": "negative", "mrd_method": method}
    level = round(rng.uniform(1e-4, 5e-3), 5)
    return assessment | {"mrd": "positive", "mrd_level": level, "mrd_method": method}


def _events(
    rng: random.Random, response: dict, lost_on_day: int | None, follow_up: int
) -> list[tuple[int, dict]]:
    """Follow-up events as (day after infusion, event), in order, none after a death.

    Every patient gets at least one, so that every section of the demonstration has data.
    """
    events = [] if lost_on_day is None else [(lost_on_day, {"kind": "car_t_loss"})]
    if response["status"] in RESPONDED:
        events += _after_response(rng, response["day"])
    elif response["status"] == "nr":
        events += _after_no_response(rng, response["day"])
    else:
        events += _after_unevaluable_response(rng, response["day"])
    events.sort(key=itemgetter(0))
    kept = []
    for day, event in events:
        if day > follow_up:
            break
        kept.append((day, event))
        if event["kind"] == "death":
            break
    if not kept:
        if response["status"] in RESPONDED:
            quiet = {"kind": "b_cell_recovery"}
        else:
            quiet = {"kind": "other_therapy", "description": "Salvage chemotherapy"}
        # Within the follow-up: every patient is infused at least 90 days before the cut-off.
        kept.append((rng.randint(35, 90), quiet))
    return kept


def _after_response(rng: random.Random, assessed: int) -> list[tuple[int, dict]]:
    """Relapses only after the response assessment, as the registry's rules require."""
    events = []
    if rng.random() < 0.35:
        events.append((rng.randint(35, 120), {"kind": "b_cell_recovery"}))
    transplanted = None
    if rng.random() < 0.75:
        transplanted = rng.randint(40, 75) if rng.random() < 0.9 else rng.randint(150, 190)
        events.append((transplanted, {"kind": "allo_hct"}))
    if rng.random() < (0.12 if transplanted else 0.6):
        relapsed = (transplanted or assessed) + rng.randint(60, 330)
        events.append((relapsed, {"kind": "relapse", "cd19": _pick(rng, CD19_AT_RELAPSE)}))
        events += _salvage(rng, relapsed, death_chance=0.55)
    elif transplanted and rng.random() < 0.08:
        events.append((transplanted + rng.randint(20, 200), _death("transplant_related")))
    elif rng.random() < 0.03:
        events.append((assessed + rng.randint(30, 400), _death("infection")))
    return events


def _after_no_response(rng: random.Random, assessed: int) -> list[tuple[int, dict]]:
    if rng.random() < 0.5:
        transplanted = rng.randint(40, 100)
        events = [(transplanted, {"kind": "allo_hct"})]
        if rng.random() < 0.35:
            events.append((transplanted + rng.randint(60, 400), _death("disease")))
        return events
    return _salvage(rng, assessed, death_chance=0.75)


def _after_unevaluable_response(rng: random.Random, assessed: int) -> list[tuple[int, dict]]:
    if rng.random() < 0.5:
        cause = rng.choice(("infection", "disease", "other", "unknown"))
        return [(assessed + rng.randint(5, 90), _death(cause))]
    return _salvage(rng, assessed, death_chance=0.2)


def _salvage(rng: random.Random, after: int, death_chance: float) -> list[tuple[int, dict]]:
    """Another therapy for some, and death from the disease for others."""
    events = []
    if rng.random() < 0.5:
        description = rng.choice(SALVAGE)
        events.append(
            (after + rng.randint(5, 30), {"kind": "other_therapy", "description": description})
        )
    if rng.random() < death_chance:
        events.append((after + rng.randint(31, 300), _death("disease")))
    return events


def _death(cause: str) -> dict:
    return {"kind": "death", "cause": cause}


def _last_contact_day(
    rng: random.Random, response: dict, events: list[tuple[int, dict]], follow_up: int
) -> int:
    """The day of death, or a day alive between the last record and the data cut-off."""
    if events and events[-1][1]["kind"] == "death":
        return events[-1][0]
    latest = max([response["day"], *(day for day, _event in events)])
    return max(latest, follow_up - rng.randint(0, 60))
