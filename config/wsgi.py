import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application = get_wsgi_application()

# Import every view now rather than on the first request each worker serves: the
# dashboard's figures bring in matplotlib, a second or so.
import_module(settings.ROOT_URLCONF)

# What start-up made (Django, the views, pandas, lifelines, matplotlib: some 250,000 objects)
# lives as long as the worker. Left to the garbage collector, its full passes walk all of
# it every few dozen requests, the worst of a worker's latencies.
gc.freeze()
