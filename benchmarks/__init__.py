"""Benchmarks of the registry (`make bench`); each module runs with `python -m`.

Django is set up here, before any benchmark module imports the registry's models.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()
