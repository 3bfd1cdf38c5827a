"""Benchmarks of the registry (`make bench`); each module runs with `python -m`.

The application is loaded here as a server's workers load it (config/wsgi.py), before any
benchmark module imports the registry's models: the first request timed does not pay for
importing the views, and what start-up made is kept out of the garbage collector's way,
as it is in a worker.
"""

import os
from importlib import import_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
import_module("config.wsgi")
