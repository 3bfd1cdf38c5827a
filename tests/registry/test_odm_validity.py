"""An incoming ODM document is checked against the ODM 1.3.2 schema before it is read:
what breaks it is refused naming the element and the rule, and nothing is written."""

import pytest
from django.core.management import CommandError, call_command

from registry import models
from registry.interchange.odm.reader import cohort_from_odm
from registry.interchange.odm.validity import DEEPEST, MOST_ATTRIBUTES, MOST_PROBLEMS
from registry.interchange.reader import DocumentRejected

pytestmark = pytest.mark.django_db

SUBJECT = """<SubjectData SubjectKey="{key}"><SiteRef LocationOID="BOREN"/>
  <StudyEventData StudyEventOID="SE.SCREENING"><FormData FormOID="F.PATIENT">
    <ItemGroupData ItemGroupOID="IG.PATIENT">
      <ItemData ItemOID="IT.PATIENT.SEX" Value="female"/>
      <ItemData ItemOID="IT.PATIENT.BIRTH_DATE" Value="1990-05-01"/>
    </ItemGroupData>
  </FormData></StudyEventData>
</SubjectData>"""


def document(*subjects: str, root: str = 'FileType="Snapshot"') -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" {root} FileOID="F.1"
     CreationDateTime="2025-01-01T00:00:00Z" ODMVersion="1.3.2">
  <Study OID="ST.HCD19"><GlobalVariables><StudyName>HCD19</StudyName>
    <StudyDescription>Schema</StudyDescription><ProtocolName>HCD19</ProtocolName>
  </GlobalVariables></Study>
  <ClinicalData StudyOID="ST.HCD19" MetaDataVersionOID="MDV.CART-COHORT.1.1">
    {"".join(subjects)}
  </ClinicalData>
</ODM>"""


def subjects(count: int) -> list[str]:
    return [SUBJECT.format(key=f"P{number:03d}") for number in range(count)]


def refused(text: str) -> list:
    with pytest.raises(DocumentRejected) as caught:
        cohort_from_odm(text)
    return caught.value.problems


def test_a_valid_document_is_read():
    found = cohort_from_odm(document(*subjects(3)))
    assert [patient["study_id"] for patient in found["patients"]] == ["P000", "P001", "P002"]
    assert found["patients"][0]["sex"] == "female"


def test_an_attribute_out_of_its_list_is_named_with_the_rule():
    (problem,) = refused(document(*subjects(1), root='FileType="Snapshots"'))
    assert problem.path == "ODM"
    assert "Not valid ODM 1.3.2" in problem.message
    assert "FileType='Snapshots'" in problem.message
    assert "nothing was imported" in problem.message


def test_a_bad_element_in_a_later_subject_is_named_by_its_subject_key():
    """Subjects of the same form are checked once: the one that differs is still found,
    even where it differs only in a value the schema lists."""
    bad = SUBJECT.format(key="P900").replace(
        '<ItemGroupData ItemGroupOID="IG.PATIENT">',
        '<ItemGroupData ItemGroupOID="IG.PATIENT" TransactionType="Replace">',
    )
    (problem,) = refused(document(*subjects(5), bad, *subjects(2)))
    assert problem.path == (
        'ODM/ClinicalData/SubjectData[@SubjectKey="P900"]/StudyEventData/FormData/ItemGroupData'
    )
    assert "TransactionType='Replace'" in problem.message


def test_an_element_the_schema_has_not_is_named():
    bad = SUBJECT.format(key="P901").replace("<SiteRef", "<Height>180</Height><SiteRef")
    (problem,) = refused(document(*subjects(2), bad))
    assert problem.path == 'ODM/ClinicalData/SubjectData[@SubjectKey="P901"]'
    assert "Unexpected child with tag 'Height'" in problem.message


def test_an_element_given_twice_where_the_schema_takes_one_is_refused():
    twice = SUBJECT.format(key="P902").replace(
        '<SiteRef LocationOID="BOREN"/>', '<SiteRef LocationOID="BOREN"/>' * 3
    )
    (problem,) = refused(document(twice))
    assert problem.path == 'ODM/ClinicalData/SubjectData[@SubjectKey="P902"]'
    assert "SiteRef" in problem.message


def test_an_empty_key_is_refused_where_the_schema_wants_one():
    (problem,) = refused(document(SUBJECT.format(key="")))
    assert "SubjectKey" in problem.message
    assert "minLength" in problem.message or "length" in problem.message


def test_a_flood_of_problems_is_named_up_to_a_limit_and_counted():
    bad = [
        SUBJECT.format(key=f"B{number}").replace("<SiteRef", f"<Bad{number}/><SiteRef")
        for number in range(MOST_PROBLEMS + 5)
    ]
    problems = refused(document(*bad))
    assert len(problems) == MOST_PROBLEMS + 1
    assert "more the schema refuses" in problems[-1].message


def test_a_document_nested_deeper_than_odm_is_refused_before_it_is_read():
    nested = "<Annotation>" * (DEEPEST + 5) + "</Annotation>" * (DEEPEST + 5)
    (problem,) = refused(
        document(SUBJECT.format(key="P1").replace("<SiteRef", nested + "<SiteRef"))
    )
    assert problem.path == "ODM"
    assert f"more than {DEEPEST} deep" in problem.message


@pytest.mark.parametrize("depth", [DEEPEST + 5, 300])
def test_a_document_nested_too_deep_outside_any_subject_is_refused(depth):
    """Deeper than DEEPEST in the study's part, which is not read subject by subject; and
    deeper than libxml2 reads at all (256): the same refusal, not "not XML"."""
    nested = "<Annotation>" * depth + "</Annotation>" * depth
    text = document(*subjects(2)).replace("<GlobalVariables>", nested + "<GlobalVariables>")
    (problem,) = refused(text)
    assert problem.path == "ODM"
    assert f"more than {DEEPEST} deep" in problem.message


def test_a_document_without_subjects_nested_too_deep_is_refused():
    nested = "<Annotation>" * (DEEPEST + 5) + "</Annotation>" * (DEEPEST + 5)
    (problem,) = refused(document(nested))
    assert f"more than {DEEPEST} deep" in problem.message


CROWDED = " ".join(f'x{number}="1"' for number in range(5_000))


@pytest.mark.parametrize(("element", "count"), [("SiteRef", "5,001"), ("StudyName", "5,000")])
def test_an_element_with_more_attributes_than_odm_gives_any_is_refused_naming_it(element, count):
    """In a subject and outside any: refused before the schema's validator, whose time
    grows with the square of an element's attributes, reads it."""
    text = document(*subjects(2)).replace(f"<{element}", f"<{element} {CROWDED}", 1)
    (problem,) = refused(text)
    assert problem.path == "ODM"
    assert problem.message.startswith(f"The element {element} at line ")
    assert problem.message.endswith(
        f"has {count} attributes; no element of ODM has more than {MOST_ATTRIBUTES}"
    )


def test_the_command_refuses_an_invalid_document_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "invalid.xml"
    bad = SUBJECT.format(key="P903").replace("<SiteRef", "<Height>180</Height><SiteRef")
    path.write_text(document(*subjects(2), bad))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_odm", str(path))
    assert "Unexpected child with tag 'Height'" in capsys.readouterr().err
    assert not models.Study.objects.exists()
