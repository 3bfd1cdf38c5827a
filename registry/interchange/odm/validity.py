"""Check an incoming ODM document against the ODM 1.3.2 schema odmlib ships, before
anything in it is read (docs/odm.md, "Importing").

xmlschema validates in Python, one element at a time: a whole study of 10,000 patients
(millions of ItemData) would take many minutes. Yet in the clinical data nothing the
schema checks depends on a value an EDC varies from patient to patient: an ItemData's
Value, a SubjectKey, a repeat key or an OID reference is any string (some at least one
character long), and no identity constraint of the schema reaches into ClinicalData. So
the document is checked in two parts, each by the schema itself:
- the document without its SubjectData (the study's metadata, admin data and the rest), whole;
- each distinct form of SubjectData once: its elements and attributes with those free
  values replaced by a stand-in of the same emptiness, and runs of more than two
  identical siblings cut to two (the schema's repetitions are once or unbounded, so a
  third says nothing a second does not). A form the schema refuses is then checked again
  as the first subject that has it, to name the element and the rule in its own words.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache

import xmlschema
from lxml import etree
from odmlib.odm_parser import ODMSchemaValidator

from registry.interchange.odm.metadata import ODM_NAMESPACE
from registry.problems import Problem

ODM_VERSION = "1.3.2"
MOST_PROBLEMS = 20  # named before the rest are counted
DEEPEST = 40  # elements within elements; ODM's clinical data go about ten deep
MOST_ATTRIBUTES = 100  # on one element; ODM's have at most 13, an extension adds a few
_SUBJECT = f"{{{ODM_NAMESPACE}}}SubjectData"
_CLINICAL_DATA = f"{{{ODM_NAMESPACE}}}ClinicalData"
_STAND_IN = "x"


@cache
def odm_schema() -> xmlschema.XMLSchema:
    return ODMSchemaValidator(standard="odm", version=ODM_VERSION).xsd


@cache
def _free_attributes() -> frozenset[tuple[str, str]]:
    """(element, attribute) of the schema whose value may be any string, or any string but
    the empty one: what may vary between two subjects the schema judges alike."""
    free = set()
    for element in odm_schema().elements.values():
        for name, attribute in element.attributes.items():
            kind = attribute.type
            if not kind.is_simple() or kind.primitive_type.local_name != "string":
                continue
            facets = {facet.rsplit("}", 1)[-1] for facet in (kind.facets or {})}
            if facets <= {"minLength"} and (kind.min_length or 0) <= 1:
                free.add((element.local_name, name))
    return frozenset(free)


class SubjectForms:
    """The subjects of a document read as a stream, each distinct form checked once; the
    problems of those refused, as many subjects' as may be named (MOST_PROBLEMS)."""

    def __init__(self) -> None:
        self.checked: set[tuple] = set()
        self.refused: set[tuple] = set()
        self.named: list[list[Problem]] = []  # each refused subject's problems, in order
        self.more = 0  # subjects refused past those named

    def check(self, subject) -> None:
        form = _form(subject)
        if form not in self.checked:
            self.checked.add(form)
            if not odm_schema().is_valid(_rebuilt(form)):
                self.refused.add(form)
        if form not in self.refused:
            return
        if sum(map(len, self.named)) >= MOST_PROBLEMS:
            self.more += 1
            return
        key = subject.get("SubjectKey")
        where = f'ODM/ClinicalData/SubjectData[@SubjectKey="{key}"]'
        self.named.append(list(_problems(odm_schema().iter_errors(_standard(subject)), where)))


def schema_problems(root, subjects: SubjectForms) -> list[Problem]:
    """Where the document (lxml's root, its subjects checked by `subjects`) breaks the ODM
    1.3.2 schema, and which rule; empty when valid."""
    problems = list(_skeleton_problems(root))
    more = subjects.more
    for named in subjects.named:
        if len(problems) >= MOST_PROBLEMS:
            more += 1
            continue
        problems += named
    if len(problems) > MOST_PROBLEMS or more:
        more += len(problems) - MOST_PROBLEMS
        problems = problems[:MOST_PROBLEMS]
        problems.append(Problem("ODM", f"… and {more} more the schema refuses"))
    return problems


def too_deep() -> Problem:
    """A document nested deeper than ODM ever is: refused before a recursive reader meets it."""
    return Problem("ODM", f"The document nests elements more than {DEEPEST} deep; ODM never does")


def too_many_attributes(element) -> Problem:
    """An element with more attributes than ODM ever gives one: refused before the
    schema's validator reads it, which takes time growing with the square of their number."""
    return Problem(
        "ODM",
        f"The element {etree.QName(element).localname} at line {element.sourceline} has "
        f"{len(element.attrib):,} attributes; no element of ODM has more than {MOST_ATTRIBUTES}",
    )


def _standard(element) -> ET.Element:
    """An lxml element as the standard library's, which xmlschema names problems in."""
    return ET.fromstring(etree.tostring(element))


def _skeleton_problems(root) -> Iterator[Problem]:
    """The document with its SubjectData left out, as the schema sees it."""
    skeleton = _standard(root)
    for clinical in skeleton.findall(_CLINICAL_DATA):
        for subject in clinical.findall(_SUBJECT):
            clinical.remove(subject)
    yield from _problems(odm_schema().iter_errors(skeleton), "")


def _problems(errors, prefix: str) -> Iterator[Problem]:
    for error in errors:
        path = (error.path or "").replace(f"{{{ODM_NAMESPACE}}}", "").lstrip("/")
        if prefix:
            path = prefix + path.removeprefix("SubjectData")
        rule = str(error.reason or error.message).replace(f"{{{ODM_NAMESPACE}}}", "")
        yield Problem(
            path or "ODM",
            f"Not valid ODM {ODM_VERSION}: {rule.rstrip('.')}; nothing was imported",
        )


def _form(element: ET.Element) -> tuple:
    """The element as the schema sees it: tag, attributes (free values as stand-ins),
    text, and its children's forms, a run of identical ones cut to two."""
    name = element.tag.rsplit("}", 1)[-1]
    free = _free_attributes()
    attributes = tuple(
        sorted(
            (key, (_STAND_IN if value else "") if (name, key) in free else value)
            for key, value in element.attrib.items()
        )
    )
    children: list[tuple] = []
    for child in element:
        form = _form(child)
        if len(children) >= 2 and children[-1] == form and children[-2] == form:
            continue
        children.append(form)
    return (element.tag, attributes, _text(element.text), _text(element.tail), tuple(children))


def _text(text: str | None) -> str:
    return text if text and text.strip() else ""


def _rebuilt(form: tuple) -> ET.Element:
    tag, attributes, text, tail, children = form
    element = ET.Element(tag, dict(attributes))
    element.text, element.tail = text or None, tail or None
    element.extend(_rebuilt(child) for child in children)
    return element
