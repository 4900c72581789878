"""Settings for `python -m workshop demo`: the shop's own, run in one process with no servers.

workshop.demo.run() sets the environment this module reads (the database file, the SMTP sink's
port) before Django starts. Everything else is the shop's settings, plus the demo page.
"""

import os

from workshop.liveserver import SHARED_CHANNEL_LAYERS
from workshop.settings import *  # noqa: F403
from workshop.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "workshop.demo"]
ROOT_URLCONF = "workshop.demo.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["WORKSHOP_DEMO_DATABASE"],
        # Daphne's request threads and the Celery worker thread write to one SQLite file:
        # WAL lets readers go on while one writes, and IMMEDIATE transactions queue writers
        # up instead of failing with "database is locked".
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}

# Celery's in-memory broker is the shop's default (run() clears CELERY_BROKER_URL). Channels'
# in-memory layer, in its thread-safe form: the worker thread pushes to the WebSockets too.
CHANNEL_LAYERS = SHARED_CHANNEL_LAYERS

# Mail goes to the demo's SMTP sink on loopback; the page shows its inbox.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["WORKSHOP_DEMO_SMTP_PORT"])
