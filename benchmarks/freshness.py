"""The load test's writer: while wrk reads, a clinician saves an assessment through the API
about once a second, and each save is read back at once, by the clinician and by the
coordinator (a different user), from every answer it changes. An answer that does not
show the save yet is stale: the registry's caches must never serve one.

Each patient taken (one of the clinician's site, with daily assessments, a CRS grade
below 3, and a complete response at day 30) has four writes, in turn:

1. POST a daily assessment on the day after their last, with grade-4 CRS findings;
2. PATCH the day-30 response assessment to CRi (still a response, no longer complete);
3. PATCH that daily assessment to one vasopressor rather than two: grade 3;
4. PATCH the day-30 response to no response.

Every write moves a count that no earlier write brought back, so an answer cached before
any earlier write shows another count than the one expected.

After each write, read back: the record itself (with If-None-Match naming its ETag
before the write, when it had one: a 304 would be stale); the patient's detail, with
If-None-Match naming the ETag the coordinator read just before the write (the patient's
own version, which a write to a section leaves as it was: a server honouring it would
answer a stale 304; this one answers none); the patient in the list, searched by study
id; and the statistic the write moves, at the address wrk asks too: the computed CRS
grades of `toxicity/` after a daily assessment, the responders of `response/` and the
count of the list of complete responses after a response assessment. What those should
show is known without any cache: the values read before the first write, moved by the
change each write made to its patient as the database holds it
(DailyAssessment.crs_grade, Patient.d30_status).
"""

import gzip
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Max

from benchmarks.pages import percentile
from registry import grading
from registry.choices import RESPONDER_STATUSES, EventKind, ResponseStatus
from registry.models import DailyAssessment, Patient, ResponseAssessment, Site
from registry.models.patient import DAY_30_WINDOW

TOXICITY = "toxicity/"
RESPONSE = "response/?by=prior_allo_hct"
GRADE_4_CRS = {"temperature_c": 39.2, "hypotension": True, "vasopressors": 2}
GRADE_3_CRS = {"vasopressors": 1}
NOT_MODIFIED = 304
KINDS = ("write", "record", "detail", "list", "analytics")


@dataclass(frozen=True)
class Answer:
    status: int
    etag: str | None
    body: object
    seconds: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Client:
    """One user of the API over HTTP, with the headers load.py's requests carry."""

    base: str
    token: str
    headers: dict[str, str]

    def ask(self, method: str, path: str, body: dict | None = None, **headers: str) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        sent = {**self.headers, "Authorization": f"Token {self.token}", **headers}
        if data is not None:
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, sent, method=method)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answered, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answered, content = error.code, error.headers, error.read()
        seconds = time.perf_counter() - started
        if answered.get("Content-Encoding") == "gzip":
            content = gzip.decompress(content)
        parsed = json.loads(content) if content and status != NOT_MODIFIED else None
        return Answer(status, answered.get("ETag"), parsed, seconds)


@dataclass
class Tally:
    """Each kind of request's times, errors (answers other than 2xx, 304 aside) and stale
    answers."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    errors: Counter = field(default_factory=Counter)
    stale: Counter = field(default_factory=Counter)
    first_error: str = ""

    def add(self, kind: str, answer: Answer, fresh: bool = True) -> None:
        self.seconds[kind].append(answer.seconds)
        if not answer.ok and answer.status != NOT_MODIFIED:
            self.errors[kind] += 1
            self.first_error = self.first_error or f"{kind}: {answer.status} {answer.body}"
        elif not fresh:
            self.stale[kind] += 1

    @property
    def writes(self) -> int:
        return len(self.seconds["write"])


@dataclass
class Expected:
    """What the statistics should show now: computed CRS grades -> patients, the
    responders, and the patients with a complete response at day 30."""

    crs_computed: Counter
    responders: int
    complete_responses: int

    def move(self, before: "PatientState", after: "PatientState") -> None:
        """Moved by the change a write made to one patient."""
        self.crs_computed[before.crs_computed] -= 1
        self.crs_computed[after.crs_computed] += 1
        self.responders += after.responder - before.responder
        self.complete_responses += after.complete_response - before.complete_response


@dataclass(frozen=True)
class PatientState:
    """What the statistics count of one patient, as the database holds it now."""

    crs_computed: int  # the worst daily CRS grade
    responder: bool
    complete_response: bool

    @classmethod
    def of(cls, patient_id: int) -> "PatientState":
        days = DailyAssessment.objects.filter(patient_id=patient_id)
        d30_status = Patient.objects.get(pk=patient_id).d30_status
        return cls(
            grading.worst(day.crs_grade() for day in days).grade,
            d30_status in RESPONDER_STATUSES,
            d30_status == ResponseStatus.CR,
        )


@dataclass(frozen=True)
class Write:
    kind: str  # "daily" or "response"
    method: str
    path: str
    body: dict
    patient: Patient


def writable_patients(site: Site, count: int) -> list[Patient]:
    """Patients of the site whose every write moves a statistic: daily assessments with a
    CRS grade below 3 before day 365, and a complete response at day 30 (and no relapse)."""
    patients = site.patients.filter(d30_status=ResponseStatus.CR).order_by("pk")
    # A relapse needs a response before it: their response cannot be taken away.
    patients = patients.exclude(events__kind=EventKind.RELAPSE)
    patients = patients.annotate(last_day=Max("daily_assessments__day"))
    patients = patients.filter(last_day__lt=365)
    chosen = []
    for patient in patients.iterator():
        if PatientState.of(patient.pk).crs_computed < 3:
            chosen.append(patient)
        if len(chosen) == count:
            break
    return chosen


def writes_of(patient: Patient) -> Iterator[Callable[[], Write | None]]:
    """The four writes of a patient, each made when its turn comes: the daily assessment
    created first is changed third (unless creating it failed)."""
    day = patient.last_day + 1
    day_30 = ResponseAssessment.objects.filter(patient=patient, day__range=DAY_30_WINDOW).order_by(
        "day"
    )[0]
    created = DailyAssessment.objects.filter(patient=patient, day=day)
    records = f"/api/v1/patients/{patient.pk}/daily-assessments/"
    yield lambda: Write("daily", "POST", records, {"day": day, **GRADE_4_CRS}, patient)
    response = f"/api/v1/response-assessments/{day_30.pk}/"
    yield lambda: Write("response", "PATCH", response, {"status": ResponseStatus.CRI}, patient)

    def one_vasopressor() -> Write | None:
        record = created.first()
        if record is None:
            return None
        path = f"/api/v1/daily-assessments/{record.pk}/"
        return Write("daily", "PATCH", path, GRADE_3_CRS, patient)

    yield one_vasopressor
    yield lambda: Write("response", "PATCH", response, {"status": ResponseStatus.NR}, patient)


class Writer:
    """The clinician's writes and the reads after each, checked and timed."""

    def __init__(self, clinician: Client, coordinator: Client, study_code: str):
        self.clinician, self.coordinator, self.code = clinician, coordinator, study_code
        self.tally = Tally()
        self.expected = Expected(
            crs_computed=Counter(self.crs_computed_shown()),
            responders=self.responders_shown(),
            complete_responses=self.complete_responses_shown(),
        )

    def analytics(self, endpoint: str) -> Answer:
        return self.coordinator.ask("GET", f"/api/v1/studies/{self.code}/analytics/{endpoint}")

    def crs_computed_shown(self, answer: Answer | None = None) -> dict[int, int]:
        answer = answer or self.analytics(TOXICITY)
        return {row["grade"]: row["n"] for row in answer.body["crs"]["computed"] if row["n"]}

    def responders_shown(self, answer: Answer | None = None) -> int:
        return (answer or self.analytics(RESPONSE)).body["responders"]

    def complete_responses_list(self) -> Answer:
        path = f"/api/v1/patients/?study={self.code}&d30_response={ResponseStatus.CR}"
        return self.coordinator.ask("GET", path)

    def complete_responses_shown(self, answer: Answer | None = None) -> int:
        return (answer or self.complete_responses_list()).body["count"]

    def run(self, patients: list[Patient], seconds: float, interval: float) -> Tally:
        """Writes every `interval` seconds (at once when behind) for `seconds`, or until
        the patients' writes are all made."""
        deadline = time.monotonic() + seconds
        due = time.monotonic()
        for write in (write for patient in patients for write in writes_of(patient)):
            if due >= deadline:
                break
            made = write()
            if made is None:
                continue
            time.sleep(max(0.0, due - time.monotonic()))
            self.write_and_read(made)
            due += interval
        return self.tally

    def write_and_read(self, write: Write) -> None:
        patient = write.patient
        detail_path = f"/api/v1/patients/{patient.pk}/"
        seen = self.coordinator.ask("GET", detail_path).etag
        before = PatientState.of(patient.pk)
        reason = {} if write.method == "POST" else {"X-Change-Reason": "load test"}
        record_before = None if write.method == "POST" else self.clinician.ask("GET", write.path)
        saved = self.clinician.ask(write.method, write.path, write.body, **reason)
        self.tally.add("write", saved)
        if not saved.ok:
            return
        self.expected.move(before, PatientState.of(patient.pk))
        # What the write said, under the id of the record it saved.
        record = {"id": saved.body["id"], **write.body}
        section = "daily_assessments" if write.kind == "daily" else "response_assessments"
        self.check_record(write, record, record_before)
        detail = self.coordinator.ask("GET", detail_path, **if_none_match(seen))
        self.tally.add("detail", detail, shows(detail.body, section, record))
        self.check_listed(patient, section, record)
        self.check_statistics(write.kind)

    def check_record(self, write: Write, record: dict, before: Answer | None) -> None:
        path = write.path if write.method == "PATCH" else record_path(write, record)
        read = self.clinician.ask("GET", path, **if_none_match(before and before.etag))
        self.tally.add("record", read, read.ok and contains(read.body, record))

    def check_listed(self, patient: Patient, section: str, record: dict) -> None:
        path = f"/api/v1/patients/?study={self.code}&search={patient.subject_id}"
        listed = self.coordinator.ask("GET", path)
        found = (listed.body or {}).get("results", [])
        entry = next((entry for entry in found if entry["id"] == patient.pk), None)
        self.tally.add("list", listed, shows(entry, section, record))

    def check_statistics(self, kind: str) -> None:
        if kind == "daily":
            answer = self.analytics(TOXICITY)
            shown = answer.ok and self.crs_computed_shown(answer)
            self.tally.add("analytics", answer, shown == +self.expected.crs_computed)
            return
        answer = self.analytics(RESPONSE)
        fresh = answer.ok and self.responders_shown(answer) == self.expected.responders
        self.tally.add("analytics", answer, fresh)
        listed = self.complete_responses_list()
        fresh = listed.ok and self.complete_responses_shown(listed) == (
            self.expected.complete_responses
        )
        self.tally.add("list", listed, fresh)


def writes_read_back(
    clinician: Client,
    coordinator: Client,
    study_code: str,
    patients: list[Patient],
    seconds: float,
    interval: float,
) -> Tally | None:
    """The clinician's writes, one every `interval` seconds (none when 0), each read back."""
    if not interval:
        return None
    return Writer(clinician, coordinator, study_code).run(patients, seconds, interval)


def record_path(write: Write, record: dict) -> str:
    section = "daily-assessments" if write.kind == "daily" else "response-assessments"
    return f"/api/v1/{section}/{record['id']}/"


def if_none_match(etag: str | None) -> dict[str, str]:
    return {"If-None-Match": etag} if etag else {}


def contains(answer: object, record: dict) -> bool:
    """Whether `answer` is a record with every value of `record`."""
    return isinstance(answer, dict) and all(answer.get(k) == v for k, v in record.items())


def shows(patient: object, section: str, record: dict) -> bool:
    """Whether a patient's answer holds `record` in `section`, as saved."""
    if not isinstance(patient, dict):
        return False
    return any(contains(entry, record) for entry in patient.get(section, []))


def report(tally: Tally, seconds: float, target_p99: float) -> None:
    print(
        f"writes: {tally.writes} in {seconds:.0f} s ({tally.writes / seconds:.2f}/s) by a "
        "clinician, each read back by the clinician and the coordinator"
    )
    print(
        f"{'kind':<10}  {'requests':>8}  {'p50 ms':>7}  {'p99 ms':>7}  {'max ms':>7}"
        f"  {'errors':>6}  {'stale':>5}"
    )
    for kind, times in tally.seconds.items():
        if times:
            p50, p99 = _percentile(times, 50), _percentile(times, 99)
            print(
                f"{kind:<10}  {len(times):8,}  {1000 * p50:7.1f}  {1000 * p99:7.1f}"
                f"  {1000 * max(times):7.1f}  {tally.errors[kind]:6}  {tally.stale[kind]:5}"
            )
    writes = tally.seconds["write"]
    met = writes and _percentile(writes, 99) < target_p99
    met = met and not tally.errors.total() and not tally.stale.total()
    print(f"writes: {'target met' if met else 'target missed'}, {tally.stale.total()} stale")
    if tally.first_error:
        print(f"first error: {tally.first_error[:300]}")


def _percentile(seconds: list[float], q: float) -> float:
    # percentile() needs two; one sample is its own p50 and p99.
    return percentile(seconds * 2 if len(seconds) == 1 else seconds, q)
