"""Read an incoming ODM document as a stream (lxml's iterparse), never whole: a snapshot of
a large study is hundreds of MiB, and a tree of it several GiB.

`checked_document` reads it once, to check it (validity) and to show each subject to the
caller; what it returns is the document without its subjects, except for a transactional
document, whose changes are applied whole (transactions). `subjects` reads it again, a
subject at a time, for the import. A DOCTYPE is refused before anything past its start is
read, so no entity is ever expanded, and a document nested deeper than validity.DEEPEST is
refused as soon as it goes that deep.
"""

from collections.abc import Callable, Iterator
from typing import BinaryIO

from lxml import etree

from registry.interchange.odm.metadata import ODM_NAMESPACE
from registry.interchange.odm.validity import (
    DEEPEST,
    SubjectForms,
    schema_problems,
    too_deep,
)
from registry.interchange.reader import DocumentRejected
from registry.rules import Problem

ODM = f"{{{ODM_NAMESPACE}}}ODM"
CLINICAL_DATA = f"{{{ODM_NAMESPACE}}}ClinicalData"
SUBJECT = f"{{{ODM_NAMESPACE}}}SubjectData"
TRANSACTIONAL = "Transactional"
PROLOG_CHUNK = 64 * 1024
# odmlib's words, which its parser said before the import read documents as a stream.
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
    for element in _ended(source, _root_checked):
        root = element.getroottree().getroot()
        if not _is_subject(element):
            continue
        forms.check(element)
        if on_subject is not None:
            on_subject(element)
        if root.get("FileType") != TRANSACTIONAL:
            element.getparent().remove(element)
    problems = schema_problems(root, forms)
    if problems:
        raise DocumentRejected(problems)
    return root


def subjects(source: BinaryIO) -> Iterator[etree._Element]:
    """Each SubjectData of the document checked by checked_document, in order; each is
    cleared once the next is asked for."""
    for element in _ended(source):
        if _is_subject(element):
            yield element
            element.getparent().remove(element)


def _ended(
    source: BinaryIO, on_root: Callable[[etree._Element], None] | None = None
) -> Iterator[etree._Element]:
    """Each element of the document as its end is read."""
    _refuse_doctype(source)
    depth = 0
    events = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for event, element in events:
            if event == "end":
                depth -= 1
                yield element
                continue
            depth += 1
            if depth == 1 and on_root is not None:
                on_root(element)
            if depth > DEEPEST:
                raise DocumentRejected([too_deep()])
    except etree.XMLSyntaxError as error:
        raise _not_xml(str(error)) from None


class _DoctypeFound(Exception):
    pass


class _RootReached(Exception):
    pass


class _Prolog:
    """A parser's target that reads no further than the root's start."""

    def doctype(self, *declared) -> None:
        raise _DoctypeFound

    def start(self, *element) -> None:
        raise _RootReached

    def close(self) -> None:
        pass


def _refuse_doctype(source: BinaryIO) -> None:
    """Refuse a DOCTYPE, read at its start, before the parser goes past it: an entity it
    declares is never expanded, nor an external one fetched. What is not XML is left for
    the reading that follows to name."""
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
    except (_RootReached, etree.XMLSyntaxError):
        pass
    finally:
        source.seek(0)


def _root_checked(root: etree._Element) -> None:
    if root.tag != ODM:
        raise DocumentRejected(
            [
                Problem(
                    "",
                    f"The document is not CDISC ODM 1.3: its root element is "
                    f"{etree.QName(root).localname}, not ODM in the namespace {ODM_NAMESPACE}",
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
