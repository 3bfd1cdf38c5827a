"""Benchmarks of the registry (`make bench`); each module runs with `python -m`.

Django is set up here, before any benchmark module imports the registry's models, and
the URL configuration imported, as a server's workers do at start (config/wsgi.py): the
first request timed does not pay for importing the views.
"""

import os
from importlib import import_module

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

import_module(settings.ROOT_URLCONF)
