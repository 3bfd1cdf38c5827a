"""Read an incoming ODM document as a stream (lxml's iterparse), never whole: a snapshot of
a large study is hundreds of MiB, and a tree of it several GiB.

`checked_document` reads it once, to check it (validity) and to show each subject to the
caller; what it returns is the document without its subjects, except for a transactional
document, whose changes are applied whole (transactions). `subjects` reads it again, a
subject at a time, for the import. Only the SubjectData elements are handed to Python:
lxml passes over the others itself. A DOCTYPE is refused before anything past its start is
read, so no entity is ever expanded; a document nested deeper than validity.DEEPEST, or
with an element of more attributes than validity.MOST_ATTRIBUTES, is refused, each subject
as it ends and the rest once read (libxml2 reads no deeper than 256).
"""

from collections.abc import Callable, Iterator
from typing import BinaryIO

from lxml import etree

from registry.interchange.odm.metadata import ODM_NAMESPACE
from registry.interchange.odm.validity import (
    DEEPEST,
    MOST_ATTRIBUTES,
    SubjectForms,
    schema_problems,
    too_deep,
    too_many_attributes,
)
from registry.interchange.reader import DocumentRejected
from registry.problems import Problem

ODM = f"{{{ODM_NAMESPACE}}}ODM"
CLINICAL_DATA = f"{{{ODM_NAMESPACE}}}ClinicalData"
SUBJECT = f"{{{ODM_NAMESPACE}}}SubjectData"
TRANSACTIONAL = "Transactional"
PROLOG_CHUNK = 64 * 1024
_EXCESSIVE_DEPTH = "Excessive depth"  # libxml2's words for a document deeper than it reads
# odmlib's own words for a DOCTYPE it refuses (odmlib.odm_parser).
DOCTYPE_REFUSED = (
    "DOCTYPE declarations are not allowed in ODM documents\n  Hint: Remove the <!DOCTYPE ...> "
    "declaration; DTDs enable entity-expansion attacks and are never required by ODM."
)


def checked_document(
    source: BinaryIO, on_subject: Callable[[etree._Element], None] | None = None
) -> etree._Element:
    """The document's root, once the whole is found ODM 1.3.2 valid; raises DocumentRejected
    naming what is not. Each subject is shown to `on_subject` as it is read."""
    forms = SubjectForms()
    root = None
    for subject in _subjects_ended(source):
        root = subject.getroottree().getroot()
        if _NESTED_BELOW_SUBJECT(subject):
            raise DocumentRejected([too_deep()])
        _refuse_crowded(subject)
        forms.check(subject)
        if on_subject is not None:
            on_subject(subject)
        if root.get("FileType") != TRANSACTIONAL:
            subject.getparent().remove(subject)
    if root is None:
        root = _root_of(source)
    if _NESTED_BELOW_ROOT(root):
        raise DocumentRejected([too_deep()])
    _refuse_crowded(root)
    problems = schema_problems(root, forms)
    if problems:
        raise DocumentRejected(problems)
    return root


def subjects(source: BinaryIO) -> Iterator[etree._Element]:
    """Each SubjectData of the document checked by checked_document, in order; each is
    cleared once the next is asked for."""
    for subject in _subjects_ended(source):
        yield subject
        subject.getparent().remove(subject)


def _nested_below(levels: int) -> etree.XPath:
    """Whether an element has a descendant `levels` below it: found by libxml2, not by a
    walk in Python through every element of the document."""
    return etree.XPath("boolean(" + "/".join(["*"] * levels) + ")")


# Deeper than DEEPEST in the document: the root is at depth 1, a SubjectData at 3.
_NESTED_BELOW_ROOT = _nested_below(DEEPEST)
_NESTED_BELOW_SUBJECT = _nested_below(DEEPEST - 2)


# The first element at or below one with more attributes than MOST_ATTRIBUTES: one that
# has an attribute past that many.
_CROWDED = etree.XPath(f"(descendant-or-self::*[@*[{MOST_ATTRIBUTES + 1}]])[1]")


def _refuse_crowded(element: etree._Element) -> None:
    """Refuse an element with more attributes than ODM gives any, found by libxml2 before
    the schema's validator reads it."""
    crowded = _CROWDED(element)
    if crowded:
        raise DocumentRejected([too_many_attributes(crowded[0])])


def _subjects_ended(source: BinaryIO) -> Iterator[etree._Element]:
    """Each SubjectData of the document's ClinicalData as its end is read. Only those are
    handed to Python: the parser passes over every other element itself."""
    for element in _parsed(source, SUBJECT):
        if _is_subject(element):
            yield element


def _root_of(source: BinaryIO) -> etree._Element:
    """The root of a document without a SubjectData."""
    root = None
    for element in _parsed(source, ODM):
        root = element
    return root


def _parsed(source: BinaryIO, tag: str) -> Iterator[etree._Element]:
    """Each element named `tag` as its end is read, once the document's start is found to
    be ODM's. A document nested deeper than libxml2 reads is as refused as one deeper than
    DEEPEST (checked by the caller)."""
    _refuse_doctype_or_root(source)
    events = etree.iterparse(
        source,
        events=("end",),
        tag=tag,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _end, element in events:
            yield element
    except etree.XMLSyntaxError as error:
        if _EXCESSIVE_DEPTH in str(error):
            raise DocumentRejected([too_deep()]) from None
        raise _not_xml(str(error)) from None


class _DoctypeFound(Exception):
    pass


class _RootReached(Exception):
    def __init__(self, tag: str) -> None:
        self.tag = tag


class _Prolog:
    """A parser's target that reads no further than the root's start."""

    def doctype(self, *declared) -> None:
        raise _DoctypeFound

    def start(self, tag: str, *attributes) -> None:
        raise _RootReached(tag)

    def close(self) -> None:
        pass


def _refuse_doctype_or_root(source: BinaryIO) -> None:
    """Refuse a DOCTYPE, read at its start, before the parser goes past it: an entity it
    declares is never expanded, nor an external one fetched; then a root that is not ODM's.
    What is not XML is left for the reading that follows to name."""
    source.seek(0)
    parser = etree.XMLParser(
        target=_Prolog(), resolve_entities=False, load_dtd=False, no_network=True
    )
    try:
        while chunk := source.read(PROLOG_CHUNK):
            parser.feed(chunk)
        parser.close()
    except _DoctypeFound:
        raise _not_xml(DOCTYPE_REFUSED) from None
    except _RootReached as reached:
        _root_checked(reached.tag)
    except etree.XMLSyntaxError:
        pass
    finally:
        source.seek(0)


def _root_checked(tag: str) -> None:
    if tag != ODM:
        raise DocumentRejected(
            [
                Problem(
                    "",
                    f"The document is not CDISC ODM 1.3: its root element is "
                    f"{etree.QName(tag).localname}, not ODM in the namespace {ODM_NAMESPACE}",
                )
            ]
        )


def _not_xml(reason: str) -> DocumentRejected:
    return DocumentRejected([Problem("", f"The body is not an XML document: {reason}")])


def _is_subject(element: etree._Element) -> bool:
    parent = element.getparent()
    return (
        element.tag == SUBJECT
        and parent is not None
        and parent.tag == CLINICAL_DATA
        and parent.getparent() is not None
        and parent.getparent().getparent() is None
    )
