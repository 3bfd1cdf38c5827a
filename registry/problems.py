"""A problem found in a patient's course (registry.rules, the cohort reader, the ODM
readers), named by its place in the course, and how a list of them is said: without
repeats, those one field makes for many records said once with their count (`grouped`)."""

from collections.abc import Collection
from dataclasses import dataclass, field

from registry.sections import BY_KEY


@dataclass(frozen=True)
class Problem:
    path: str  # within the patient, e.g. "events[1].date"
    # The message; where it quotes dates, with a placeholder for each, e.g. "(%(died)s)",
    # and the dates in `params`: the pages write them in the study's format.
    template: str
    # A problem one field makes for other records (each day after a death): where that
    # field is saved they are said once per section with a count (`grouped`), e.g.
    # "14 daily assessments would fall after the death (...)".
    cause: str = ""  # the path of that field
    consequence: str = ""  # what the records of a group have in common, as `template`
    params: dict = field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        """The message with its dates in ISO, as the API and the cohort import say it."""
        return self.template % self.params if self.params else self.template


def grouped(problems: list[Problem], saved: Collection[str] | None = None) -> list[Problem]:
    """The problems without repeats, those a field makes for other records said once per
    section of those records with their count; first the others, in their order.

    Where records are saved (`saved`, their paths; "" for the patient's own fields) their
    own problems are said one by one and a group is said at the field causing it; for a
    whole course (saved None) a group is said at its section.
    """
    kept, groups = [], {}
    for problem in problems:
        own = saved is not None and any(_within(problem.path, record) for record in saved)
        if problem.cause and not own:
            section = problem.path.partition("[")[0]
            groups.setdefault((problem.cause, section, problem.consequence), []).append(problem)
        elif problem not in kept:
            kept.append(problem)
    for (cause, section, consequence), members in groups.items():
        one, many = BY_KEY[section].record_names
        count = len({member.path.partition(".")[0] for member in members})
        at = cause if saved is not None else section
        template = f"{count} {one if count == 1 else many} {consequence}"
        kept.append(Problem(at, template, params=members[0].params))
    return kept


def _within(path: str, record: str) -> bool:
    if record == "":
        return "." not in path and "[" not in path
    return path.startswith(f"{record}.")
