import os

from celery import Celery

# As in wsgi.py: production unless the environment names other settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bzpeer.settings.production")

app = Celery("bzpeer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
