"""Settings for the shop the lessons run in.

Everything works with nothing installed but the requirements: SQLite, Celery's in-memory
broker, Channels' in-memory layer. Set DATABASE_URL, CELERY_BROKER_URL or REDIS_URL to run the
same shop on PostgreSQL, RabbitMQ or Redis (see "Scaling out" in the README).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def required_environment(name, what):
    """The value of an environment variable production cannot run without."""
    from django.core.exceptions import ImproperlyConfigured

    if not os.environ.get(name):
        raise ImproperlyConfigured(f"DJANGO_DEBUG=0 (production) needs {name}: {what}.")
    return os.environ[name]


def environment_list(value):
    """ "a.example, b.example" -> ["a.example", "b.example"]"""
    return [item.strip() for item in value.split(",") if item.strip()]


# A workshop runs on laptops: debug on, a fixed development key, and local hosts only, with
# nothing to set. DJANGO_DEBUG=0 is production: see "Production mode" further down.
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
if DEBUG:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-events-workshop")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
else:
    SECRET_KEY = required_environment("DJANGO_SECRET_KEY", "50 or more random characters")
    ALLOWED_HOSTS = environment_list(
        required_environment("DJANGO_ALLOWED_HOSTS", "the site's host names, comma-separated")
    )
# Origins (scheme://host[:port]) of other sites whose pages may POST forms to this one.
CSRF_TRUSTED_ORIGINS = environment_list(os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", ""))

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, served by the ASGI app itself (WhiteNoise: right after SecurityMiddleware,
    # before anything that would do work for a request that only wants a file).
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite lets one connection write at a time, and the shop has several (a server's
    # threads, a worker thread). IMMEDIATE takes the write lock when a transaction starts, so
    # that writers queue up (for up to `timeout` seconds) rather than fail halfway with
    # "database is locked". WAL lets readers read while one writes; with WAL, synchronous=NORMAL
    # is as safe from corruption and spares each commit a wait for the disk (4 to 5 ms here).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
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
            # Redis pub/sub (channels_redis, "beta"): a group_send is one PUBLISH, and each
            # server hands it to its own members; the core layer (RedisChannelLayer) writes a
            # message per member into Redis, which every server then reads one at a time. A
            # server's subscriptions end with its connection, so a server that dies leaves
            # nothing behind in the groups. What it gives up: a message sent while a consumer
            # is not subscribed is not kept for it (nothing is, for a push).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # A dict, not a bare URL, to pass redis-py's connection settings.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # A Redis that stops answering is noticed after this long, rather than
                        # never; the layer's own reads wait at most 0.1 s at a time.
                        "socket_timeout": 15,
                        # Consumers that connect at once each publish or subscribe through the
                        # pool (redis-py allows 100, then raises): size it for one server.
                        "max_connections": 2000,
                    }
                ],
            },
        }
    }
else:
    # Channels' in-memory layer, with its sweep for expired messages made linear in the number
    # of sockets (shop/channel_layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "shop.channel_layers.InMemoryChannelLayer"}}

# Production mode (DJANGO_DEBUG=0): `python manage.py check --deploy` checks all of this.
# The shop stands behind a proxy (nginx, a load balancer) that speaks HTTPS to browsers and
# HTTP to Daphne.
if not DEBUG:
    # The proxy says a request came over HTTPS in this header (and must remove it from the
    # requests it forwards: a client could send it too).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Browsers remember to use HTTPS only. Start with an hour; once every page and subdomain
    # works over HTTPS, raise it to a year (31536000).
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_HSTS_PRELOAD") == "1"
    if not SECURE_HSTS_PRELOAD:
        # Preloading puts the domain in the browsers' own lists, for good: a decision for the
        # domain's owner (https://hstspreload.org), not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # `python manage.py collectstatic` copies every app's static files here, and WhiteNoise
    # serves them from here. (With DEBUG on, it serves them from the apps' static/ folders.)
    STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")
    # collectstatic puts a hash in each name (live.3f2a1c.js): browsers may cache it for good.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# WebSocket handshakes are not covered by CSRF protection: shop/asgi.py lets one through only
# if its Origin header is one of these. With DEBUG on, the local host names, on any scheme and
# port (runserver, the tests' live servers, the React client's dev server). In production,
# exact origins, scheme, host and port: HTTPS on the allowed hosts, and the trusted origins.
if DEBUG:
    WEBSOCKET_ALLOWED_ORIGINS = ALLOWED_HOSTS  # A pattern without a scheme matches any port.
else:
    WEBSOCKET_ALLOWED_ORIGINS = [
        *(f"https://{host}" for host in ALLOWED_HOSTS),
        *CSRF_TRUSTED_ORIGINS,
    ]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"shop": {"handlers": ["console"], "level": "INFO"}},
}
