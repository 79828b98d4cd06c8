import os

from django.core.wsgi import get_wsgi_application

from mcu.gc_tuning import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings")

application = get_wsgi_application()
# In each gunicorn worker (the application is loaded after the fork): see mcu/gc_tuning.py.
tune_gc()
