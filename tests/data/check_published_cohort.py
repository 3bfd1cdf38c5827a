#!/usr/bin/env python
"""Standalone check of tests/data/hcd19-published-cohort.json against the published figures of
An et al., "Humanized CD19 CAR-T cells in relapsed/refractory B-ALL patients who relapsed after or
failed murine CD19 CAR-T therapy", BMC Cancer 2022 (shared/reference/humanized-cd19-cart-paper.txt).

Usage:  python tests/data/check_published_cohort.py [path/to/cohort.json]

Prints every figure next to its target and asserts it; also enforces the registry's validation
rules and the interchange-format key sets.  Exit status is non-zero on the first failure summary.
"""

import json
import os
import statistics
import sys
from datetime import date

from lifelines import KaplanMeierFitter
from scipy.stats import fisher_exact

MONTH = 30.4375
HERE = os.path.dirname(os.path.abspath(__file__))
PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "hcd19-published-cohort.json")

ROWS = []  # (figure, target, obtained, ok)
FAILURES = []


def check(figure, target, obtained, ok=None):
    if ok is None:
        ok = target == obtained or str(target) == str(obtained)
    ROWS.append((figure, str(target), str(obtained), bool(ok)))
    if not ok:
        FAILURES.append(figure)


def rule(name, ok, detail=""):
    """A validation rule: only reported individually when it fails."""
    if not ok:
        FAILURES.append(f"RULE {name}: {detail}")
        RULE_FAILS.append(f"{name}: {detail}")


RULE_FAILS = []


def D(s):
    return date.fromisoformat(s)


def months(a, b):
    return (D(b) - D(a)).days / MONTH


def age_years(birth, on):
    b, o = D(birth), D(on)
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def frac(n, k):
    return f"{n}/{k}"


with open(PATH) as fh:
    RAW = fh.read()
DOC = json.loads(RAW)
PTS = DOC["patients"]
BY_ID = {p["study_id"]: p for p in PTS}
CUTOFF = DOC["study"]["data_cutoff"]

# ----------------------------------------------------------------------------- format / schema
check(
    "document pretty-printed with 2-space indent",
    True,
    RAW == json.dumps(DOC, indent=2, ensure_ascii=False) + "\n",
)
check("format / version", "cart-cohort/1", f"{DOC['format']}/{DOC['version']}")
check("study code", "HCD19", DOC["study"]["code"])
check(
    "study title as specified",
    True,
    DOC["study"]["title"]
    == "Humanized CD19 CAR-T in r/r B-ALL after murine CD19 CAR-T (An et al., BMC Cancer 2022)",
)
check("data_cutoff", "2021-07-31", CUTOFF)
check("patients", 19, len(PTS))
check(
    "study ids P01..P19 in order",
    True,
    [p["study_id"] for p in PTS] == [f"P{i:02d}" for i in range(1, 20)],
)
check("sites", {"BOREN"}, {p["site"] for p in PTS})

TOP = {"format", "version", "study", "patients"}
STUDY = {"code", "title", "data_cutoff"}
PATIENT = {
    "study_id",
    "site",
    "sex",
    "birth_date",
    "enrollment_date",
    "eligibility",
    "genetics",
    "prior_therapies",
    "lymphodepletion",
    "infusions",
    "car_t_counts",
    "toxicities",
    "daily_assessments",
    "response_assessments",
    "events",
    "last_contact_date",
}
ELIG = {"cd19_blast_pct", "bm_blast_pct", "extramedullary_sites", "ecog", "adequate_organ_function"}
GEN_REQ = {"bcr_abl1", "ph_like", "tp53_mutation"}
PRIOR_KINDS = {
    "murine_cd19_cart",
    "cd22_cart",
    "allo_hct",
    "other_cart",
    "chemotherapy",
    "tki",
    "other",
}
CART_KINDS = {"murine_cd19_cart", "cd22_cart", "other_cart"}
LD = {"start_date", "fludarabine_mg_m2_per_day", "cyclophosphamide_mg_m2_per_day", "days"}
INF_REQ = {"date", "product", "weight_kg", "cells_per_kg"}
PRODUCTS = {"humanized_cd19", "murine_cd19", "cd22", "other"}
TOX_REQ = {"crs_max_grade", "icans_max_grade"}
TOX_OPT = {"crs_onset_day", "tocilizumab", "corticosteroids", "plasmapheresis"}
DA_REQ = {
    "day",
    "temperature_c",
    "fever_masked",
    "hypotension",
    "vasopressors",
    "vasopressin",
    "oxygen",
    "ice_score",
    "consciousness",
    "seizure",
    "motor_weakness",
    "cerebral_edema",
}
DA_CHILD = {"capd_score", "capd_unable"}
RESP_REQ = {"day", "status", "bm_blast_pct", "mrd"}
RESP_OPT = {"mrd_level", "mrd_method"}
EVENT_KINDS = {"allo_hct", "relapse", "death", "b_cell_recovery", "car_t_loss", "other_therapy"}
EMD_SITES = {"cns", "testis", "skin", "lymph_node", "bone", "other"}

rule("top-level keys", set(DOC) == TOP, set(DOC) ^ TOP)
rule("study keys", set(DOC["study"]) == STUDY, set(DOC["study"]) ^ STUDY)


def is_date(s):
    try:
        return isinstance(s, str) and len(s) == 10 and D(s).isoformat() == s
    except ValueError:
        return False


for p in PTS:
    sid = p["study_id"]
    rule(f"{sid} patient keys", set(p) == PATIENT, set(p) ^ PATIENT)
    rule(f"{sid} sex", p["sex"] in ("male", "female"), p["sex"])
    for k in ("birth_date", "enrollment_date", "last_contact_date"):
        rule(f"{sid} {k} ISO", is_date(p[k]), p[k])
    e = p["eligibility"]
    rule(f"{sid} eligibility keys", set(e) == ELIG, set(e) ^ ELIG)
    rule(f"{sid} emd sites", set(e["extramedullary_sites"]) <= EMD_SITES, e["extramedullary_sites"])
    g = p["genetics"]
    rule(f"{sid} genetics keys", GEN_REQ <= set(g) <= GEN_REQ | {"other"}, set(g))
    rule(f"{sid} genetics booleans", all(isinstance(g[k], bool) for k in GEN_REQ), g)
    for t in p["prior_therapies"]:
        allowed = {"kind", "date"} | (
            {"best_response", "relapse_date"} if t["kind"] in CART_KINDS else set()
        )
        rule(f"{sid} prior kind", t["kind"] in PRIOR_KINDS, t)
        rule(f"{sid} prior keys", set(t) <= allowed and is_date(t["date"]), t)
        if t["kind"] in CART_KINDS:
            rule(f"{sid} CAR-T best_response", t.get("best_response") in ("cr", "nr"), t)
            rule(
                f"{sid} relapse_date only after a response",
                "relapse_date" not in t or t["best_response"] == "cr",
                t,
            )
    rule(f"{sid} lymphodepletion keys", set(p["lymphodepletion"]) == LD, p["lymphodepletion"])
    rule(f"{sid} at least one infusion", len(p["infusions"]) >= 1)
    for i in p["infusions"]:
        rule(f"{sid} infusion keys", INF_REQ <= set(i) <= INF_REQ | {"lot"}, i)
        rule(f"{sid} product", i["product"] in PRODUCTS, i)
        rule(f"{sid} cells_per_kg integer", isinstance(i["cells_per_kg"], int), i)
    for c in p["car_t_counts"]:
        rule(
            f"{sid} car_t_count keys",
            set(c) == {"day", "cells_per_ul"} and c["cells_per_ul"] >= 0,
            c,
        )
    t = p["toxicities"]
    rule(f"{sid} toxicity keys", TOX_REQ <= set(t) <= TOX_REQ | TOX_OPT, t)
    rule(
        f"{sid} toxicity grades 0-5",
        0 <= t["crs_max_grade"] <= 5 and 0 <= t["icans_max_grade"] <= 5,
        t,
    )
    for r in p["response_assessments"]:
        rule(f"{sid} response keys", RESP_REQ <= set(r) <= RESP_REQ | RESP_OPT, r)
        rule(f"{sid} response status", r["status"] in ("cr", "cri", "nr", "not_evaluable"), r)
        rule(f"{sid} mrd", r["mrd"] in ("negative", "positive", "not_evaluable", "unknown"), r)
        rule(f"{sid} mrd_method", r.get("mrd_method", "flow") in ("flow", "qpcr"), r)
    for ev in p["events"]:
        allowed = {"kind", "date"} | {
            "relapse": {"cd19"},
            "death": {"cause"},
            "other_therapy": {"description"},
        }.get(ev["kind"], set())
        rule(f"{sid} event kind", ev["kind"] in EVENT_KINDS, ev)
        rule(f"{sid} event keys", set(ev) <= allowed and is_date(ev["date"]), ev)
        if ev["kind"] == "relapse":
            rule(f"{sid} relapse cd19", ev.get("cd19") in ("positive", "negative", "unknown"), ev)
        if ev["kind"] == "death":
            rule(
                f"{sid} death cause",
                ev.get("cause")
                in ("disease", "transplant_related", "infection", "crs", "other", "unknown"),
                ev,
            )

# ----------------------------------------------------------------------------- helpers


def inf_date(p):
    return p["infusions"][0]["date"]


def day30(p):
    rs = [r for r in p["response_assessments"] if 28 <= r["day"] <= 32]
    return rs[0] if len(rs) == 1 else None


def responder(p):
    r = day30(p)
    return r is not None and r["status"] in ("cr", "cri")


def prior(p, kind):
    return [t for t in p["prior_therapies"] if t["kind"] == kind]


def events(p, kind):
    return [e for e in p["events"] if e["kind"] == kind and e["date"] > inf_date(p)]


def first(p, kind):
    ev = sorted(events(p, kind), key=lambda e: e["date"])
    return ev[0] if ev else None


def death(p):
    return first(p, "death")


def prior_hct(p):
    return bool(prior(p, "allo_hct"))


def interval_months(p):
    last = max(t["date"] for t in prior(p, "murine_cd19_cart"))
    return months(last, inf_date(p))


def m1(x):
    return round(x + 1e-9, 1)


def crs_grade(a):
    fever = a["temperature_c"] >= 38.0 or a["fever_masked"]
    if not fever:
        return 0
    if a["vasopressors"] >= 2 or a["oxygen"] == "positive_pressure":
        return 4
    if a["vasopressors"] == 1 or a["oxygen"] == "high_flow":
        return 3
    if a["hypotension"] or a["oxygen"] == "low_flow":
        return 2
    return 1


def icans_grade(a, child):
    g = 0
    if child and a.get("ice_score") is None:
        if a.get("capd_unable"):
            g = max(g, 3)
        elif a["capd_score"] >= 9:
            g = max(g, 2)
        elif a["capd_score"] >= 1:
            g = max(g, 1)
    else:
        ice = a["ice_score"]
        g = max(
            g,
            4
            if ice == 0 and a["consciousness"] == "unarousable"
            else 3
            if ice <= 2
            else 2
            if ice <= 6
            else 1
            if ice <= 9
            else 0,
        )
    g = max(
        g,
        {"awake": 0, "awakens_to_voice": 1, "awakens_to_touch": 3, "unarousable": 4}[
            a["consciousness"]
        ],
    )
    g = max(g, {"none": 0, "resolved": 3, "prolonged": 4}[a["seizure"]])
    g = max(g, {"none": 0, "deep_focal": 4}[a["motor_weakness"]])
    g = max(g, {"none": 0, "focal": 3, "diffuse": 4}[a["cerebral_edema"]])
    return g


# ----------------------------------------------------------------------------- validation rules
for p in PTS:
    sid = p["study_id"]
    inf = inf_date(p)
    ld = p["lymphodepletion"]
    rule(
        f"{sid} enrollment <= LD start < infusion",
        p["enrollment_date"] <= ld["start_date"] < inf,
        (p["enrollment_date"], ld["start_date"], inf),
    )
    rule(f"{sid} birth before enrollment", p["birth_date"] < p["enrollment_date"])
    rule(
        f"{sid} birth before prior therapies",
        all(p["birth_date"] < t["date"] for t in p["prior_therapies"]),
    )
    for t in p["prior_therapies"]:
        rule(f"{sid} prior therapy before infusion", t["date"] < inf, t)
        if "relapse_date" in t:
            rule(f"{sid} relapse_date after therapy date", t["relapse_date"] > t["date"], t)
            rule(
                f"{sid} relapse_date before enrollment", t["relapse_date"] < p["enrollment_date"], t
            )
        if t.get("best_response") == "cr":
            rule(f"{sid} cr prior therapy carries relapse_date", "relapse_date" in t, t)
    for ev in p["events"]:
        rule(f"{sid} event after infusion", ev["date"] > inf, ev)
        rule(f"{sid} last contact not before event", p["last_contact_date"] >= ev["date"], ev)
    deaths = [e for e in p["events"] if e["kind"] == "death"]
    rule(f"{sid} at most one death", len(deaths) <= 1)
    rule(f"{sid} last contact <= cutoff", p["last_contact_date"] <= CUTOFF)
    if deaths:
        dd = deaths[0]["date"]
        ddays = (D(dd) - D(inf)).days
        rule(f"{sid} last contact == death date", p["last_contact_date"] == dd)
        rule(
            f"{sid} nothing after death",
            all(e["date"] <= dd for e in p["events"])
            and all(
                x["day"] <= ddays
                for x in p["response_assessments"] + p["car_t_counts"] + p["daily_assessments"]
            ),
        )
    for name in ("car_t_counts", "response_assessments", "daily_assessments"):
        days = [x["day"] for x in p[name]]
        rule(
            f"{sid} {name} days >= 0 and unique",
            all(isinstance(x, int) and x >= 0 for x in days) and len(days) == len(set(days)),
            days,
        )
    for r in p["response_assessments"]:
        rule(f"{sid} bm_blast_pct 0-100", 0 <= r["bm_blast_pct"] <= 100, r)
        if r["status"] in ("cr", "cri"):
            rule(f"{sid} cr/cri needs bm_blast_pct < 5", r["bm_blast_pct"] < 5, r)
        if r["mrd"] == "negative" and "mrd_level" in r:
            rule(f"{sid} negative mrd level < 1e-4", r["mrd_level"] < 0.0001, r)
        if r["mrd"] == "positive" and "mrd_level" in r:
            rule(f"{sid} positive mrd level >= 1e-4", r["mrd_level"] >= 0.0001, r)
        if "mrd_level" in r:
            rule(f"{sid} mrd_level only when measured", r["mrd"] in ("negative", "positive"), r)
    for ev in p["events"]:
        if ev["kind"] == "relapse":
            rday = (D(ev["date"]) - D(inf)).days
            rule(
                f"{sid} relapse after documented cr/cri",
                any(
                    r["status"] in ("cr", "cri") and r["day"] <= rday
                    for r in p["response_assessments"]
                ),
                ev,
            )
    e = p["eligibility"]
    rule(
        f"{sid} percentages 0-100",
        0 <= e["cd19_blast_pct"] <= 100 and 0 <= e["bm_blast_pct"] <= 100,
    )
    rule(f"{sid} ECOG 0-4", 0 <= e["ecog"] <= 4)
    for a in p["daily_assessments"]:
        rule(f"{sid} ICE 0-10", a["ice_score"] is None or 0 <= a["ice_score"] <= 10, a)

# ----------------------------------------------------------------------------- response
R = [p for p in PTS if responder(p)]
NR = [p for p in PTS if not responder(p)]
check("day-30 assessment present (day 28-32) in all", 19, sum(day30(p) is not None for p in PTS))
check("CR/CRi at day 30", "13/19", frac(len(R), len(PTS)))
check("NR at day 30", 6, sum(day30(p)["status"] == "nr" for p in PTS))


def split(pred):
    a = [p for p in PTS if pred(p)]
    b = [p for p in PTS if not pred(p)]
    ra, rb = sum(map(responder, a)), sum(map(responder, b))
    p_val = fisher_exact([[ra, len(a) - ra], [rb, len(b) - rb]])[1]
    return frac(ra, len(a)), frac(rb, len(b)), p_val


a, b, pv = split(prior_hct)
check("CR prior allo-HCT yes vs no", "4/10 vs 9/9", f"{a} vs {b}")
check("Fisher p (prior allo-HCT)", "0.0108", f"{pv:.4f}")
a, b, pv = split(lambda p: bool(prior(p, "cd22_cart")))
check("CR prior CD22 CAR-T yes vs no", "7/11 vs 6/8", f"{a} vs {b}")
check("Fisher p (prior CD22 CAR-T)", "1.0", f"{pv:.1f}")
iv = {p["study_id"]: interval_months(p) for p in PTS}
check(
    "no interval exactly 6 or 12 months (unambiguous bands)",
    True,
    all(abs(v - 6) > 0.05 and abs(v - 12) > 0.05 for v in iv.values()),
)
a, b, pv = split(lambda p: iv[p["study_id"]] < 12)
check("CR interval last mCD19->hCD19 <12 vs >=12 mo", "8/10 vs 5/9", f"{a} vs {b}")
check("Fisher p (interval)", "0.3498", f"{pv:.4f}")
bands = (
    sum(v < 6 for v in iv.values()),
    sum(6 <= v < 12 for v in iv.values()),
    sum(v >= 12 for v in iv.values()),
)
check("interval bands <6 / 6-12 / >12 mo", (6, 4, 9), bands)

# ----------------------------------------------------------------------------- demographics
ages = [age_years(p["birth_date"], inf_date(p)) for p in PTS]
check("age median (years)", 20, statistics.median(ages))
check("age range", "4-49", f"{min(ages)}-{max(ages)}")
check("children <18 / adults", "8/11", f"{sum(a < 18 for a in ages)}/{sum(a >= 18 for a in ages)}")
check(
    "sex male/female",
    "10/9",
    f"{sum(p['sex'] == 'male' for p in PTS)}/{sum(p['sex'] == 'female' for p in PTS)}",
)
check("#16 male, #18 female", "male/female", f"{BY_ID['P16']['sex']}/{BY_ID['P18']['sex']}")
wt_ok = all(
    (a < 6 and 12 <= w <= 25)
    or (6 <= a < 12 and 18 <= w <= 50)
    or (12 <= a < 18 and 30 <= w <= 85)
    or (a >= 18 and 40 <= w <= 110)
    for a, w in zip(ages, (p["infusions"][0]["weight_kg"] for p in PTS), strict=True)
)
check("weight plausible for age", True, wt_ok)

# ----------------------------------------------------------------------------- dose
doses = [p["infusions"][0]["cells_per_kg"] for p in PTS]
check("dose median (cells/kg)", 240000, statistics.median(doses))
check("dose range (cells/kg)", "100000-1800000", f"{min(doses)}-{max(doses)}")
check(
    "product humanized_cd19 for all",
    True,
    all(p["infusions"][0]["product"] == "humanized_cd19" for p in PTS),
)
check(
    "protocol ceiling (<=5e5/kg after allo-HCT, <=5e6 otherwise) violations",
    0,
    sum(d > (500000 if prior_hct(p) else 5000000) for p, d in zip(PTS, doses, strict=False)),
)

# ----------------------------------------------------------------------------- CAR-T kinetics
peaks = {p["study_id"]: max(c["cells_per_ul"] for c in p["car_t_counts"]) for p in PTS}
det = [s for s, v in peaks.items() if v > 0]
undet = [s for s, v in peaks.items() if v == 0]
check("patients with detectable CAR-T", 17, len(det))
check(
    "median peak CAR-T among detectable (cells/uL = 10^6/L)",
    5.2,
    statistics.median(peaks[s] for s in det),
)
check("never detectable", 2, len(undet))
p16 = BY_ID["P16"]
check(
    "#16 undetectable, responder, CRS grade 1",
    True,
    "P16" in undet and responder(p16) and p16["toxicities"]["crs_max_grade"] == 1,
)
check("non-responders with CAR-T expansion", 5, sum(1 for p in NR if peaks[p["study_id"]] > 0))


def loss_day(p):
    cs = sorted(p["car_t_counts"], key=lambda c: c["day"])
    last_pos = max(i for i, c in enumerate(cs) if c["cells_per_ul"] > 0)
    return cs[last_pos + 1]["day"] if last_pos + 1 < len(cs) else None


losses = {s: loss_day(BY_ID[s]) for s in det}
check(
    "CAR-T undetectable again within 10-37 days",
    "9/17",
    frac(sum(1 for v in losses.values() if v is not None and 10 <= v <= 37), len(det)),
)
check(
    "others still detectable beyond day 37",
    8,
    sum(
        1
        for s in det
        if any(c["day"] > 37 and c["cells_per_ul"] > 0 for c in BY_ID[s]["car_t_counts"])
    ),
)
check(
    "6-11 CAR-T count days per patient", True, all(6 <= len(p["car_t_counts"]) <= 11 for p in PTS)
)

# ----------------------------------------------------------------------------- toxicity
tox = [p["toxicities"] for p in PTS]
crs = [t["crs_max_grade"] for t in tox]
check("CRS max grade 0/1/2/4", "1/15/2/1", "/".join(str(crs.count(g)) for g in (0, 1, 2, 4)))
check("CRS any grade", 18, sum(g > 0 for g in crs))
icans = [t["icans_max_grade"] for t in tox]
check("ICANS grade 1 / grade 0", "2/17", f"{icans.count(1)}/{icans.count(0)}")
check("corticosteroids (all with CRS)", 18, sum(bool(t.get("corticosteroids")) for t in tox))
check(
    "corticosteroids only when CRS",
    True,
    all(bool(t.get("corticosteroids")) == (t["crs_max_grade"] > 0) for t in tox),
)
check("plasmapheresis", 3, sum(bool(t.get("plasmapheresis")) for t in tox))
da_crs_ok = da_icans_ok = keys_ok = child_ok = onset_ok = True
for p, a_ in zip(PTS, ages, strict=False):
    das = p["daily_assessments"]
    child = a_ < 12
    if not das or das[0]["day"] != 0 or das[-1]["day"] < 9:
        keys_ok = False
    for a in das:
        want = DA_REQ | (DA_CHILD if child else set())
        if set(a) != want:
            keys_ok = False
        if not child and a["ice_score"] is None:
            child_ok = False
    if max(crs_grade(a) for a in das) != p["toxicities"]["crs_max_grade"]:
        da_crs_ok = False
    if max(icans_grade(a, child) for a in das) != p["toxicities"]["icans_max_grade"]:
        da_icans_ok = False
    fever_days = [a["day"] for a in das if crs_grade(a) > 0]
    if p["toxicities"].get("crs_onset_day") != (fever_days[0] if fever_days else None):
        onset_ok = False
check("daily assessments: exact key set (capd_* only <12 y), days 0-~10", True, keys_ok)
check("daily assessments: ICE score present for >=12 y", True, child_ok)
check("daily assessments: computed CRS grade == recorded", True, da_crs_ok)
check("daily assessments: computed ICANS grade == recorded", True, da_icans_ok)
check("crs_onset_day == first day with CRS", True, onset_ok)

# ----------------------------------------------------------------------------- disease status / genetics
el = [p["eligibility"] for p in PTS]
iso_bm = [e for e in el if not e["extramedullary_sites"]]
emd = [e for e in el if e["extramedullary_sites"]]
check("isolated BM", 12, len(iso_bm))
check(
    "isolated BM blasts range (%)",
    "7-98",
    f"{min(e['bm_blast_pct'] for e in iso_bm):g}-{max(e['bm_blast_pct'] for e in iso_bm):g}",
)
check("EMD", 7, len(emd))
check(
    "EMD only (BM <5%) / EMD+BM (BM >5%)",
    "1/6",
    f"{sum(e['bm_blast_pct'] < 5 for e in emd)}/{sum(e['bm_blast_pct'] > 5 for e in emd)}",
)
check("CNS", 2, sum("cns" in e["extramedullary_sites"] for e in emd))
check("multifocal (>=2 sites)", 5, sum(len(e["extramedullary_sites"]) >= 2 for e in emd))
check(
    "multifocal with CNS",
    1,
    sum(len(e["extramedullary_sites"]) >= 2 and "cns" in e["extramedullary_sites"] for e in emd),
)
emd_only = [
    p
    for p in PTS
    if p["eligibility"]["extramedullary_sites"] and p["eligibility"]["bm_blast_pct"] < 5
]
check(
    "EMD-only patient is a non-responder with CAR-T expansion",
    True,
    len(emd_only) == 1 and not responder(emd_only[0]) and peaks[emd_only[0]["study_id"]] > 0,
)
check(
    "eligibility: CD19+ >=95%, ECOG 0-2, organ function, >5% BM or EMD",
    True,
    all(
        e["cd19_blast_pct"] >= 95
        and 0 <= e["ecog"] <= 2
        and e["adequate_organ_function"] is True
        and (e["bm_blast_pct"] > 5 or e["extramedullary_sites"])
        for e in el
    ),
)
gen = [p["genetics"] for p in PTS]
check("BCR-ABL1", 2, sum(g["bcr_abl1"] for g in gen))
check("Ph-like", 7, sum(g["ph_like"] for g in gen))
check("Ph-like with TP53", 2, sum(g["ph_like"] and g["tp53_mutation"] for g in gen))
check(
    "TP53 outside Ph-like / BCR-ABL1 & Ph-like overlap",
    "0/0",
    f"{sum(g['tp53_mutation'] and not g['ph_like'] for g in gen)}/{sum(g['bcr_abl1'] and g['ph_like'] for g in gen)}",
)

# ----------------------------------------------------------------------------- prior therapies
nm = [len(prior(p, "murine_cd19_cart")) for p in PTS]
check("murine CD19 CAR-T one / two infusions", "16/3", f"{nm.count(1)}/{nm.count(2)}")


def primary_resistant(p):
    return all(t["best_response"] == "nr" for t in prior(p, "murine_cd19_cart"))


pr = [p for p in PTS if primary_resistant(p)]
check("primarily resistant to mCD19", 3, len(pr))
check("primarily resistant who achieved CR", "3/3", frac(sum(map(responder, pr)), len(pr)))
m18 = sorted(prior(BY_ID["P18"], "murine_cd19_cart"), key=lambda t: t["date"])
check(
    "#18 failed both mCD19 (nr, nr) and achieved CR",
    True,
    [t["best_response"] for t in m18] == ["nr", "nr"] and responder(BY_ID["P18"]),
)
m2 = sorted(prior(BY_ID["P02"], "murine_cd19_cart"), key=lambda t: t["date"])
check(
    "#2 relapsed after first mCD19, failed second, achieved CR",
    True,
    [t["best_response"] for t in m2] == ["cr", "nr"]
    and "relapse_date" in m2[0]
    and responder(BY_ID["P02"]),
)
two = [p for p in PTS if len(prior(p, "murine_cd19_cart")) == 2]
check(
    "second mCD19: CR again / non-responders",
    "1/2",
    f"{sum(sorted(prior(p, 'murine_cd19_cart'), key=lambda t: t['date'])[1]['best_response'] == 'cr' for p in two)}/"
    f"{sum(sorted(prior(p, 'murine_cd19_cart'), key=lambda t: t['date'])[1]['best_response'] == 'nr' for p in two)}",
)
check("relapsed after mCD19 among CR patients", 10, sum(not primary_resistant(p) for p in R))
cd22 = [p for p in PTS if prior(p, "cd22_cart")]
simul = [
    p
    for p in cd22
    if any(
        t["date"] in {m["date"] for m in prior(p, "murine_cd19_cart")}
        for t in prior(p, "cd22_cart")
    )
]
after = [
    p
    for p in cd22
    if p not in simul
    and min(t["date"] for t in prior(p, "cd22_cart"))
    > min(t["date"] for t in prior(p, "murine_cd19_cart"))
]
check("CD22 CAR-T patients", 11, len(cd22))
check("CD22 after / simultaneous with mCD19", "8/3", f"{len(after)}/{len(simul)}")
check("prior allo-HCT", 10, sum(map(prior_hct, PTS)))
check("all non-responders had prior allo-HCT", "6/6", frac(sum(map(prior_hct, NR)), len(NR)))

# ----------------------------------------------------------------------------- treatment logistics
ld_ok = all(
    (D(inf_date(p)) - D(p["lymphodepletion"]["start_date"])).days == 5
    and p["lymphodepletion"]["fludarabine_mg_m2_per_day"] == 30
    and p["lymphodepletion"]["cyclophosphamide_mg_m2_per_day"] in (0, 250)
    and p["lymphodepletion"]["days"] == 3
    for p in PTS
)
check("lymphodepletion: start day -5, Flu 30, Cy 250/0, 3 days", True, ld_ok)
enr_gap = [(D(p["lymphodepletion"]["start_date"]) - D(p["enrollment_date"])).days for p in PTS]
check(
    "enrollment 7-20 days before lymphodepletion",
    "7-20",
    f"{min(enr_gap)}-{max(enr_gap)}",
    ok=min(enr_gap) >= 7 and max(enr_gap) <= 20,
)
infs = sorted(inf_date(p) for p in PTS)
check(
    "infusions Jan 2019 - Nov 2020",
    "2019-01 .. 2020-11",
    f"{infs[0][:7]} .. {infs[-1][:7]}",
    ok=infs[0] >= "2019-01-01" and infs[-1][:7] == "2020-11",
)

# ----------------------------------------------------------------------------- response details
rr = [day30(p) for p in R]
check("responders bm blasts <5%", True, all(r["bm_blast_pct"] < 5 for r in rr))
check(
    "responder MRD negative / not_evaluable / unknown",
    "10/2/1",
    "/".join(str(sum(r["mrd"] == k for r in rr)) for k in ("negative", "not_evaluable", "unknown")),
)
check(
    "MRD-negative: level given (<1e-4), flow",
    True,
    all(
        "mrd_level" in r and r["mrd_level"] < 1e-4 and r.get("mrd_method") == "flow"
        for r in rr
        if r["mrd"] == "negative"
    ),
)
check(
    "MRD not evaluable = multifocal EMD responders",
    True,
    all(
        len(p["eligibility"]["extramedullary_sites"]) >= 2
        for p in R
        if day30(p)["mrd"] == "not_evaluable"
    ),
)
check(
    "NR: MRD positive >= 1e-4",
    True,
    all(day30(p)["mrd"] == "positive" and day30(p)["mrd_level"] >= 1e-4 for p in NR),
)

# ----------------------------------------------------------------------------- follow-up events
R_hct = [p for p in R if events(p, "allo_hct")]
R_no = [p for p in R if not events(p, "allo_hct")]
check("responders with allo-HCT after hCD19", 11, len(R_hct))
check("of them second HCT", 3, sum(map(prior_hct, R_hct)))
hct_m = sorted(m1(months(inf_date(p), first(p, "allo_hct")["date"])) for p in R_hct)
check(
    "HCT timing: within 1.3-2.3 mo / at 5.9 mo",
    "10/1",
    f"{sum(1.3 <= x <= 2.3 for x in hct_m)}/{sum(x == 5.9 for x in hct_m)}",
)
check("HCT timing (months)", "1.3-2.3 (n=10), 5.9", hct_m, ok=True)
hct_rel = [p for p in R_hct if events(p, "relapse")]
check(
    "HCT responders relapsed / remain in CR", "1/10", f"{len(hct_rel)}/{len(R_hct) - len(hct_rel)}"
)
if hct_rel:
    p = hct_rel[0]
    h = first(p, "allo_hct")["date"]
    check(
        "HCT relapse: months after HCT to relapse / death",
        "3.0/10.4",
        f"{m1(months(h, first(p, 'relapse')['date']))}/{m1(months(h, death(p)['date'])) if death(p) else None}",
    )
    check("HCT relapse death cause", "disease", death(p)["cause"] if death(p) else None)
check("responders without HCT", 2, len(R_no))
check(
    "non-HCT responders: B-cell recovery -> relapse (months)",
    "[(1.2, 9.9), (3.4, 9.0)]",
    sorted(
        (
            m1(months(inf_date(p), first(p, "b_cell_recovery")["date"])),
            m1(months(inf_date(p), first(p, "relapse")["date"])),
        )
        for p in R_no
    ),
)
check(
    "non-HCT relapses CD19-positive",
    True,
    all(first(p, "relapse")["cd19"] == "positive" for p in R_no),
)
check(
    "non-HCT responders died / alive",
    "1/1",
    f"{sum(bool(death(p)) for p in R_no)}/{sum(not death(p) for p in R_no)}",
)
check(
    "non-HCT responder: one had prior HCT (4th prior-HCT responder)", 1, sum(map(prior_hct, R_no))
)

NR_hct = [p for p in NR if events(p, "allo_hct")]
NR_no = [p for p in NR if not events(p, "allo_hct")]
check(
    "NR without HCT: died of disease",
    "3/3",
    frac(sum(bool(death(p)) and death(p)["cause"] == "disease" for p in NR_no), len(NR_no)),
)
check(
    "NR without HCT: one had CD22 CAR-T (other_therapy with description)",
    1,
    sum(any("CD22" in e.get("description", "") for e in events(p, "other_therapy")) for p in NR_no),
)
check(
    "NR salvage allo-HCT (all second HCT)",
    "3 (3)",
    f"{len(NR_hct)} ({sum(map(prior_hct, NR_hct))})",
)


def cr_after_hct(p):
    hday = (D(first(p, "allo_hct")["date"]) - D(inf_date(p))).days
    return any(r["status"] in ("cr", "cri") and r["day"] > hday for r in p["response_assessments"])


check(
    "NR salvage HCT: documented CR after HCT",
    "3/3",
    frac(sum(map(cr_after_hct, NR_hct)), len(NR_hct)),
)
nr_rel = sorted(
    m1(months(first(p, "allo_hct")["date"], first(p, "relapse")["date"]))
    for p in NR_hct
    if events(p, "relapse")
)
check("NR salvage: relapse months after HCT", [4.5, 8.6], nr_rel)
nr_cr = [p for p in NR_hct if not events(p, "relapse")]
check(
    "NR salvage: in CR months after HCT (to last contact)",
    [13.3],
    [m1(months(first(p, "allo_hct")["date"], p["last_contact_date"])) for p in nr_cr],
)
check(
    "NR salvage: relapsed died / alive",
    "1/1",
    f"{sum(bool(death(p)) for p in NR_hct if events(p, 'relapse'))}/{sum(not death(p) for p in NR_hct if events(p, 'relapse'))}",
)

deaths_all = [p for p in PTS if death(p)]
check("deaths total", 6, len(deaths_all))
check(
    "death causes all 'disease' (no TRM)",
    True,
    all(death(p)["cause"] == "disease" for p in deaths_all),
)

# ----------------------------------------------------------------------------- follow-up
surv = [p for p in PTS if not death(p)]
fu = [months(inf_date(p), p["last_contact_date"]) for p in surv]
check("survivors", 13, len(surv))
check("median follow-up survivors (months)", 12.1, m1(statistics.median(fu)))
check("follow-up range survivors (months)", "8.0-27.5", f"{m1(min(fu))}-{m1(max(fu))}")

# ----------------------------------------------------------------------------- EFS


def efs(p):
    inf = inf_date(p)
    ev = [e["date"] for e in p["events"] if e["kind"] in ("relapse", "death") and e["date"] > inf]
    if ev:
        return months(inf, min(ev)), 1
    return months(inf, p["last_contact_date"]), 0


def km(group, label, target_s, target_ci):
    data = [efs(p) for p in group]
    kmf = KaplanMeierFitter().fit([t for t, _ in data], [e for _, e in data], label=label)
    ci = kmf.confidence_interval_survival_function_
    tmax = max(t for t, _ in data)
    check(f"EFS {label}: followed beyond 18 mo", True, tmax > 18)
    for when in (12, 18):
        s = float(kmf.survival_function_at_times(when).iloc[0])
        row = ci[ci.index <= when].iloc[-1]
        lo, hi = float(row.iloc[0]), float(row.iloc[1])
        check(f"EFS {label} at {when} mo", f"{target_s}", f"{s:.3f}", ok=abs(s - target_s) < 0.0005)
        check(
            f"EFS {label} at {when} mo 95% CI (%)",
            f"{target_ci[0]}-{target_ci[1]}",
            f"{lo * 100:.1f}-{hi * 100:.1f}",
            ok=abs(lo * 100 - target_ci[0]) <= 0.1 + 1e-9
            and abs(hi * 100 - target_ci[1]) <= 0.1 + 1e-9
            and f"{lo * 100:.1f}" == f"{target_ci[0]}"
            and f"{hi * 100:.1f}" == f"{target_ci[1]}",
        )
    return data


km(R_hct, "responders with allo-HCT (n=11)", 0.909, (50.8, 98.7))
data = km(R, "all responders (n=13)", 0.692, (30.6, 89.2))
ev_times = sorted(t for t, e in data if e)
check("EFS events among responders", 3, len(ev_times))

# ----------------------------------------------------------------------------- report
w1 = max(len(r[0]) for r in ROWS)
w2 = min(28, max(len(r[1]) for r in ROWS))
print(f"{'figure':<{w1}}  {'target':<{w2}}  obtained")
print("-" * (w1 + w2 + 24))
for fig, tgt, got, ok in ROWS:
    print(f"{fig:<{w1}}  {tgt:<{w2}}  {got}{'' if ok else '   <-- MISMATCH'}")
print()
print(f"validation rules: {'all passed' if not RULE_FAILS else str(len(RULE_FAILS)) + ' failed'}")
for f in RULE_FAILS:
    print("  RULE FAILED:", f)
print(f"figures: {sum(r[3] for r in ROWS)}/{len(ROWS)} match")
assert not FAILURES, f"{len(FAILURES)} check(s) failed: {FAILURES}"
print("OK")
