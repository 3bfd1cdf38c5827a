"""What the FHIR tests share: validating resources with the fhir.resources library (its R4B
models), and reading the references a Bundle or NDJSON holds."""

import json
from collections.abc import Iterator

from fhir.resources.R4B import get_fhir_model_class

from registry import models
from registry.interchange.fhir.writer import iter_bundle_json, iter_ndjson, patient_bundle
from tests.odm import imported_study


def bundle_of(study: models.Study, **options) -> dict:
    return json.loads(b"".join(iter_bundle_json(study, **options)))


def ndjson_of(study: models.Study, **options) -> list[dict]:
    text = b"".join(iter_ndjson(study, **options)).decode()
    return [json.loads(line) for line in text.splitlines()]


def validation_errors(resource: dict) -> list[str]:
    """What the library's model of the resource's type finds wrong with it."""
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValueError as invalid:  # pydantic's ValidationError is a ValueError
        return [f"{resource['resourceType']}/{resource.get('id')}: {invalid}"]
    return []


def references(value: object) -> Iterator[str]:
    """Every `reference` in a resource, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def unresolved(resources: list[dict], named) -> list[str]:
    """References that name no resource given (`named(resource)` is how one is referred
    to) nor one contained in the resource that refers to it."""
    known = {named(resource) for resource in resources}
    missing = []
    for resource in resources:
        contained = {f"#{inner['id']}" for inner in resource.get("contained", [])}
        missing += [ref for ref in references(resource) if ref not in known | contained]
    return missing


def bundle_resources(bundle: dict) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"]]


def bundle_unresolved(bundle: dict) -> list[str]:
    names = {entry["resource"]["id"]: entry["fullUrl"] for entry in bundle["entry"]}
    return unresolved(bundle_resources(bundle), lambda resource: names[resource["id"]])


def ndjson_unresolved(resources: list[dict]) -> list[str]:
    return unresolved(resources, lambda resource: f"{resource['resourceType']}/{resource['id']}")


def of_type(resources: list[dict], resource_type: str) -> list[dict]:
    return [resource for resource in resources if resource["resourceType"] == resource_type]


def invalid(resources: list[dict]) -> list[str]:
    return [error for resource in resources for error in validation_errors(resource)]


def resources_of(patient: models.Patient, **options) -> list[dict]:
    """The patient's Bundle's resources, once each is found valid and every reference
    resolved."""
    bundle = json.loads(patient_bundle(patient, **options))
    assert invalid(bundle_resources(bundle)) == []
    assert bundle_unresolved(bundle) == []
    return bundle_resources(bundle)


def z99(**options) -> list[dict]:
    """The published cohort's patient with a record in every section (tests.odm)."""
    imported_study()
    return resources_of(models.Patient.objects.get(subject_id="Z99"), **options)


def coded(concept: dict, system: str) -> list[str]:
    return [coding["code"] for coding in concept["coding"] if coding["system"] == system]


def by_code(observations: list[dict], code: str) -> list[dict]:
    return [o for o in observations if code in {c["code"] for c in o["code"]["coding"]}]
