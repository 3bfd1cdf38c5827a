"""The outcome of an invented patient: the response assessment about day 30, the follow-up
events after it, and the last contact."""

import random
from operator import itemgetter

from registry.choices import RESPONDER_STATUSES
from registry.demo.study import CD19_AT_RELAPSE, RESPONSE, SALVAGE, pick


def response_assessment(rng: random.Random, marrow_disease: bool, bcr_abl1: bool) -> dict:
    status = pick(rng, RESPONSE)
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


def follow_up_events(
    rng: random.Random, response: dict, lost_on_day: int | None, follow_up: int
) -> list[tuple[int, dict]]:
    """Follow-up events as (day after infusion, event), in order, none after a death.

    Every patient gets at least one, so that every section of the demonstration has data.
    """
    events = [] if lost_on_day is None else [(lost_on_day, {"kind": "car_t_loss"})]
    if response["status"] in RESPONDER_STATUSES:
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
        if response["status"] in RESPONDER_STATUSES:
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
        events.append((relapsed, {"kind": "relapse", "cd19": pick(rng, CD19_AT_RELAPSE)}))
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


def last_contact_day(
    rng: random.Random, response: dict, events: list[tuple[int, dict]], follow_up: int
) -> int:
    """The day of death, or a day alive between the last record and the data cut-off."""
    if events and events[-1][1]["kind"] == "death":
        return events[-1][0]
    latest = max([response["day"], *(day for day, _event in events)])
    return max(latest, follow_up - rng.randint(0, 60))
