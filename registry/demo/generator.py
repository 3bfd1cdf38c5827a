"""A cohort document of invented patients: each patient's course up to the infusion; their
CAR-T counts (registry.demo.car_t), toxicity (registry.demo.toxicity) and outcome
(registry.demo.outcomes) drawn from the same `random.Random(seed)`; their lab series
(registry.demo.laboratory), the qPCR beside the flow counts and the dated toxicity
treatments (registry.demo.treatments) from a second one of the same seed; their later
follow-up visits (registry.demo.visits) from a third."""

import math
import random
from datetime import date, timedelta

from registry import grading
from registry.choices import RESPONDER_STATUSES
from registry.demo.car_t import flow_counts, with_qpcr
from registry.demo.laboratory import LabCourse, lab_series
from registry.demo.outcomes import follow_up_events, last_contact_day, response_assessment
from registry.demo.study import (
    AGE_BANDS,
    DATA_CUTOFF,
    DISCREPANT_EVERY,
    DOSE_CEILING,
    EXTRAMEDULLARY,
    FIRST_INFUSION,
    LAST_INFUSION,
    MAX_DOSE,
    MEDIAN_DOSE,
    OTHER_FINDINGS,
    POST_HCT_DOSE_CEILING,
    TITLE,
    pick,
    site_code,
)
from registry.demo.toxicity import daily_assessments, graded_days, toxicities
from registry.demo.treatments import toxicity_treatments
from registry.demo.visits import later_assessments, later_responses
from registry.interchange.schema import FORMAT_NAME, FORMAT_VERSION
from registry.validators import completed_years


def synthetic_cohort(
    *, code: str = "DEMO", patients: int = 60, sites: int = 3, seed: int = 2019
) -> dict:
    """A cohort document of invented patients, spread evenly over the sites."""
    rng = random.Random(seed)
    lab_rng = random.Random(f"{seed}:laboratory")
    visit_rng = random.Random(f"{seed}:visits")
    site_codes = [site_code(index) for index in range(sites)]
    width = max(3, len(str(patients)))
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "study": {"code": code, "title": TITLE, "data_cutoff": DATA_CUTOFF.isoformat()},
        "patients": [
            _patient(
                rng,
                lab_rng,
                visit_rng,
                study_id=f"{code}-{index + 1:0{width}d}",
                site_index=index % sites,
                site=site_codes[index % sites],
                discrepant=index % DISCREPANT_EVERY == DISCREPANT_EVERY // 2,
            )
            for index in range(patients)
        ],
    }


def _patient(
    rng: random.Random,
    lab_rng: random.Random,
    visit_rng: random.Random,
    *,
    study_id: str,
    site_index: int,
    site: str,
    discrepant: bool,
) -> dict:
    """One patient; `rng` draws in the order it always has, so that the lab series drawn
    from `lab_rng` and the later visits drawn from `visit_rng` change nothing else."""
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
    counts, lost_on_day = flow_counts(rng)
    child = age < grading.CHILD_UNDER_YEARS
    days, tocilizumab_day = daily_assessments(rng, child=child)
    graded = graded_days(days, age, tocilizumab_day)
    response = response_assessment(rng, eligibility["bm_blast_pct"] > 5, genetics["bcr_abl1"])
    follow_up = (DATA_CUTOFF - infused).days
    events = follow_up_events(rng, response, lost_on_day, follow_up)
    enrolled = lymphodepleted - timedelta(days=rng.randint(3, 21))
    lymphodepletion = _lymphodepletion(rng, lymphodepleted)
    infusion = _infusion(rng, infused, age, transplanted)
    recorded_toxicities = toxicities(rng, graded, discrepant)
    contact_day = last_contact_day(rng, response, events, follow_up)
    labs = lab_series(
        lab_rng,
        LabCourse(
            site_index=site_index,
            crs_by_day=graded.crs,
            responded=response["status"] in RESPONDER_STATUSES,
            events=events,
            last_contact_day=contact_day,
        ),
    )
    treatments = toxicity_treatments(lab_rng, graded, weight_kg=infusion["weight_kg"])
    relapse_day = next((day for day, event in events if event["kind"] == "relapse"), None)
    days += later_assessments(visit_rng, child=child, until=contact_day)
    responses = [response]
    responses += later_responses(
        visit_rng, first=response, relapse_day=relapse_day, until=contact_day
    )
    return {
        "study_id": study_id,
        "site": site,
        "sex": sex,
        "birth_date": born.isoformat(),
        "enrollment_date": enrolled.isoformat(),
        "eligibility": eligibility,
        "genetics": genetics,
        "prior_therapies": prior_therapies,
        "lymphodepletion": lymphodepletion,
        "infusions": [infusion],
        "car_t_counts": with_qpcr(lab_rng, counts),
        **({"labs": labs} if labs else {}),
        "toxicities": recorded_toxicities,
        **({"toxicity_treatments": treatments} if treatments else {}),
        "daily_assessments": days,
        "response_assessments": responses,
        "events": [
            {"kind": event["kind"], "date": (infused + timedelta(days=day)).isoformat()} | event
            for day, event in events
        ],
        "last_contact_date": (infused + timedelta(days=contact_day)).isoformat(),
    }


def _birth_date(rng: random.Random, infused: date) -> date:
    youngest, oldest = pick(rng, AGE_BANDS)
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
