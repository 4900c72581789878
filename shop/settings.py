"""Settings for the shop the lessons run in.

Everything works with nothing installed but the requirements: SQLite, Celery's in-memory
broker, Channels' in-memory layer. Set DATABASE_URL, CELERY_BROKER_URL or REDIS_URL to run the
same shop on PostgreSQL, RabbitMQ or Redis (see "Scaling out" in the README).
"""

import os
from pathlib import Path

import dj_database_url

from workshop import course

BASE_DIR = Path(__file__).resolve().parent.parent

# A workshop runs on laptops: a fixed development key, debug on, and local hosts only.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-events-workshop")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "daphne",  # First, so that `runserver` serves ASGI (HTTP and WebSockets).
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "shop",
    # The lesson apps: your code in lessons/, or the reference in solutions/.
    *course.install_lessons(),
]

# Daphne's app exists for `runserver` alone, and loading it imports Daphne's whole server
# (Twisted): a third of a lesson check's start-up. Tests never call runserver (the live-server
# fixtures start Daphne themselves), so under the course kit's pytest plugin it is left out.
if os.environ.get(course.UNDER_TEST_ENV):
    INSTALLED_APPS.remove("daphne")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "shop.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=0
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "live"
LOGOUT_REDIRECT_URL = "login"

# Mail goes to the console unless EMAIL_HOST points at a real server (the demo and the SMTP
# tests start one on loopback). Tests use Django's in-memory outbox.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = "shop@example.com"

# Celery reads every setting below that starts with CELERY_ (see shop/celery.py).
# The in-memory transport needs no server; a Redis or RabbitMQ URL is all it takes to scale out.
# ("localhost" in its URL means nothing, but without a host Kombu warns at every connection.)
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://localhost/")
if CELERY_BROKER_URL.startswith("memory://"):
    # A worker polls the in-memory broker for messages: every 10 ms rather than every second.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": 0.01}
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "cache+memory://")
# Messages carry JSON: ids and plain values cross the wire, model instances cannot.
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task that has started reports STARTED, not PENDING, until it ends.
CELERY_TASK_TRACK_STARTED = True
# Each worker process reserves one message at a time, so that a long task cannot hold others
# back. Acknowledging late is decided task by task (acks_late): only an idempotent task may.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# For those late-acked tasks: if the worker process running one dies (killed, out of memory),
# the message goes back to the queue for another worker, instead of being acknowledged as done.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Django configures logging (LOGGING below): a worker adds to it rather than replacing it.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Channels: one process needs nothing; several processes share a Redis channel layer.
if REDIS_URL := os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A dict, not a bare URL, to pass redis-py's connection settings.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # The layer waits for messages with a blocking read of 5 s (BZPOPMIN);
                        # redis-py 8 times every read out after 5 s unless told otherwise, and
                        # an idle WebSocket died with "Timeout reading from ...". Longer than
                        # the layer's wait, so a Redis that stops answering is still noticed.
                        "socket_timeout": 15,
                        # Every consumer borrows a connection to join its groups: a server
                        # whose sockets connect at once borrows as many (redis-py allows 100,
                        # then raises). Size it for the sockets one server holds.
                        "max_connections": 2000,
                    }
                ],
                # A connection leaves its groups on disconnect; a server that dies cannot say
                # so, and its channel names stay in the groups until they expire. Daphne
                # closes a WebSocket after a day (--websocket_timeout), and the live page
                # reconnects: a day, no less, so that no open socket is dropped from a group.
                "group_expiry": 24 * 60 * 60,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"shop": {"handlers": ["console"], "level": "INFO"}},
}
