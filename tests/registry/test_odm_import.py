"""Reading an ODM 1.3.2 snapshot back: lossless through an empty registry, all or nothing,
and a clear refusal of what the registry cannot place."""

import pytest
from django.core.management import CommandError, call_command

from registry import models
from registry.interchange.exporter import cohort_document
from registry.interchange.importer import cohort_import
from registry.interchange.odm.reader import cohort_from_odm
from registry.interchange.reader import DocumentRejected
from tests.odm import imported_study, odm_text

pytestmark = pytest.mark.django_db

FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileType="Snapshot" FileOID="F.1"
     CreationDateTime="2025-01-01T00:00:00Z" ODMVersion="1.3.2">
  <Study OID="ST.HCD19"><GlobalVariables><StudyName>HCD19</StudyName>
    <StudyDescription>Other system</StudyDescription><ProtocolName>HCD19</ProtocolName>
  </GlobalVariables></Study>
  <ClinicalData StudyOID="ST.HCD19" MetaDataVersionOID="MDV.1">
    <SubjectData SubjectKey="1001"><SiteRef LocationOID="BOREN"/>
      <StudyEventData StudyEventOID="SE.SCREENING"><FormData FormOID="F.VITALS">
        <ItemGroupData ItemGroupOID="IG.VITALS"><ItemData ItemOID="IT.HR" Value="80"/>
        </ItemGroupData>
        <ItemGroupData ItemGroupOID="IG.PATIENT"><ItemData ItemOID="IT.PATIENT.HEIGHT"
          Value="180"/></ItemGroupData>
      </FormData></StudyEventData>
    </SubjectData>
  </ClinicalData>
</ODM>"""


def emptied() -> None:
    for model in (models.Patient, models.Site, models.Study):
        model.objects.all().delete()


def snapshot_changed(old: str, new: str) -> str:
    """The ODM snapshot of the imported study with the first `old` in it written as `new`,
    taken before the registry is emptied, so that only the snapshot could fill it again."""
    text = odm_text(imported_study()).replace(old, new, 1)
    emptied()
    return text


def rejected(body: str | bytes) -> dict[str, str]:
    with pytest.raises(DocumentRejected) as caught:
        cohort_import(data=cohort_from_odm(body))
    return {problem.path: problem.message for problem in caught.value.problems}


def test_it_gives_back_the_same_cohort_through_an_empty_registry():
    study = imported_study()
    before = cohort_document(study)
    text = odm_text(study)
    emptied()
    result = cohort_import(data=cohort_from_odm(text.encode()))
    assert result.created == 20
    assert cohort_document(result.study) == before


def test_it_gives_back_the_study_s_settings_through_an_empty_registry():
    # Found by a round trip: the kinetics specimen came back as peripheral blood.
    study = imported_study()
    study.car_t_kinetics_specimen = "bm"
    study.save()
    before = cohort_document(study)
    text = odm_text(study)
    emptied()
    result = cohort_import(data=cohort_from_odm(text.encode()))
    assert result.study.car_t_kinetics_specimen == "bm"
    assert cohort_document(result.study) == before


def test_a_bad_value_in_a_setting_is_named_as_the_cohort_import_names_it():
    text = snapshot_changed(
        "Data cut-off: 2021-07-31", "Data cut-off: 2021-07-31\ncar_t_kinetics_specimen: urine"
    )
    problems = rejected(text.encode())
    assert list(problems) == ["study.car_t_kinetics_specimen"]
    assert not models.Study.objects.exists()


def test_the_commands_carry_a_study_through_a_file(tmp_path, capsys):
    study = imported_study()
    before = cohort_document(study)
    out = tmp_path / "hcd19.xml"
    call_command("export_odm", "HCD19", "-o", str(out))
    emptied()
    call_command("import_odm", str(out))
    assert "Imported study HCD19: 20 patient(s) created" in capsys.readouterr().out
    assert cohort_document(models.Study.objects.get()) == before


def test_it_names_every_oid_it_cannot_place_and_writes_nothing():
    with pytest.raises(DocumentRejected) as caught:
        cohort_from_odm(FOREIGN)
    problems = caught.value.problems
    assert [problem.path for problem in problems] == [
        "ODM/ClinicalData",
        *['SubjectData[@SubjectKey="1001"]'] * 3,
    ]
    assert [problem.message for problem in problems] == [
        "MetaDataVersionOID 'MDV.1' is not the registry's: its clinical data follow the "
        "metadata version 'MDV.CART-COHORT.1.1' (docs/odm.md); nothing was imported",
        "FormOID 'F.VITALS' cannot be placed: the registry's ODM metadata has no such form "
        "(docs/odm.md lists them); nothing was imported",
        "ItemGroupOID 'IG.VITALS' cannot be placed: the registry's ODM metadata has no such "
        "item group (docs/odm.md lists them); nothing was imported",
        "ItemOID 'IT.PATIENT.HEIGHT' cannot be placed: the registry's ODM metadata has no such "
        "item in that item group (docs/odm.md lists them); nothing was imported",
    ]
    assert not models.Study.objects.exists()


def test_a_bad_value_is_named_as_the_cohort_import_names_it_and_nothing_is_written():
    text = snapshot_changed(
        'ItemOID="IT.INFUSIONS.WEIGHT_KG" Value="68.0"',
        'ItemOID="IT.INFUSIONS.WEIGHT_KG" Value="heavy"',
    )
    problems = rejected(text.encode())
    assert list(problems) == ["patients[0].infusions[0].weight_kg"]
    assert "number" in problems["patients[0].infusions[0].weight_kg"]
    assert not models.Patient.objects.exists()


def test_an_item_said_to_be_null_is_read_as_left_out():
    # Found by a crafted document: IsNull="Yes" was read as the value "".
    text = snapshot_changed(
        'ItemOID="IT.INFUSIONS.WEIGHT_KG" Value="68.0"',
        'ItemOID="IT.INFUSIONS.WEIGHT_KG" IsNull="Yes"',
    )
    problems = rejected(text.encode())
    assert problems == {"patients[0].infusions[0].weight_kg": "weight_kg is required"}


def test_a_clinical_rule_refuses_as_for_a_cohort_document():
    # P01 was infused 2019-01-15: a lymphodepletion starting after it breaks the course rules.
    text = snapshot_changed(
        'ItemOID="IT.LYMPHODEPLETION.START_DATE" Value="2019-01-10"',
        'ItemOID="IT.LYMPHODEPLETION.START_DATE" Value="2019-02-10"',
    )
    problems = rejected(text)
    assert any(path.startswith("patients[0].") for path in problems)
    assert not models.Patient.objects.exists()


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        (b"not xml at all", "", "not an XML document"),
        (b'<?xml version="1.0"?><cohort/>', "", "its root element is cohort"),
        (
            b'<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY a "aaaa">]>'
            b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"/>',
            "",
            "DOCTYPE",
        ),
        (
            b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileType="Snapshot" FileOID="F.1" '
            b'CreationDateTime="2025-01-01T00:00:00Z"/>',
            "ODM/Study",
            "one Study (none",
        ),
    ],
)
def test_it_refuses_what_is_no_odm_snapshot(body, path, words):
    with pytest.raises(DocumentRejected) as caught:
        cohort_from_odm(body)
    (problem,) = caught.value.problems
    assert problem.path == path
    assert words in problem.message


def test_it_refuses_a_record_or_a_value_given_twice():
    text = odm_text(imported_study())
    genetics = '<ItemData ItemOID="IT.GENETICS.BCR_ABL1" Value="false"/>'
    twice = text.replace(genetics, genetics * 2, 1)
    with pytest.raises(DocumentRejected) as caught:
        cohort_from_odm(twice)
    (problem,) = caught.value.problems
    assert problem.message == "ItemOID 'IT.GENETICS.BCR_ABL1' is given 2 times in one IG.GENETICS"
    start = text.index('<FormData FormOID="F.GENETICS">')
    form = text[start : text.index("</FormData>", start) + len("</FormData>")]
    with pytest.raises(DocumentRejected) as caught:
        cohort_from_odm(text.replace(form, form * 2, 1))
    (problem,) = caught.value.problems
    assert problem.message == "IG.GENETICS is given 2 times: a patient has one genetics"


def test_it_refuses_a_transactional_document():
    text = odm_text(imported_study()).replace('FileType="Snapshot"', 'FileType="Transactional"')
    with pytest.raises(DocumentRejected) as caught:
        cohort_from_odm(text)
    assert caught.value.problems[0].path == "ODM/@FileType"


def test_the_command_says_each_problem_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "foreign.xml"
    path.write_text(FOREIGN)
    with pytest.raises(CommandError, match="4 problem"):
        call_command("import_odm", str(path))
    err = capsys.readouterr().err
    assert "MDV.1" in err and "IG.VITALS" in err
    assert not models.Study.objects.exists()


def test_the_registrys_items_under_another_metadata_version_are_refused():
    text = snapshot_changed(
        '<ClinicalData StudyOID="ST.HCD19" MetaDataVersionOID="MDV.CART-COHORT.1.1"',
        '<ClinicalData StudyOID="ST.HCD19" MetaDataVersionOID="MDV.OTHER.2"',
    )
    assert rejected(text.encode()) == {
        "ODM/ClinicalData": "MetaDataVersionOID 'MDV.OTHER.2' is not the registry's: its "
        "clinical data follow the metadata version 'MDV.CART-COHORT.1.1' (docs/odm.md); "
        "nothing was imported"
    }
    assert not models.Study.objects.exists()
