"""FHIR R4 out (docs/fhir.md): `codes` the code systems and codes the resources carry;
`resources` one patient's course as resources, built as plain data; `writer` a study as one
Bundle of type collection or as NDJSON, and one patient as a Bundle."""
