"""ADaM analysis datasets (docs/adam.md): ADSL, ADTTE and ADAE derived from the analysis
frame the statistics are computed from (``derive``), described by their variables
(``variables``), written as SAS transport v5, Dataset-JSON 1.1 or CSV (``formats``) with a
Define-XML 2.1 document (``define``), served under /api/v1/studies/{code}/export/adam/
(``views``) and by manage.py export_adam."""
