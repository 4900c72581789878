"""The shop's Celery app, as in Celery's "First steps with Django"."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")

app = Celery("shop")

# Every Django setting that starts with CELERY_ configures Celery (CELERY_BROKER_URL, ...).
app.config_from_object("django.conf:settings", namespace="CELERY")

# Find tasks.py in every installed app, the lessons included.
app.autodiscover_tasks()
