"""The shop's settings: zero set-up on a laptop, and a production mode (DJANGO_DEBUG=0) that
refuses to start without its secrets and passes Django's deployment checklist.

Settings are read once per process, so each test runs `manage.py` in a process of its own.
"""

import os
import secrets
import subprocess
import sys

import pytest

from workshop import course

pytestmark = [pytest.mark.reference, pytest.mark.timeout(60)]

PRODUCTION_VARIABLES = [
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
]


def manage(*arguments, **environment):
    """Run `python manage.py ...` with these environment variables (and none of the
    production ones it does not name); return the finished process."""
    base = {name: value for name, value in os.environ.items() if name not in PRODUCTION_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=course.ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=50,
    )


def production(**overrides):
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        **overrides,
    }


def setting(name, **environment):
    finished = manage(
        "shell", "-c", f"from django.conf import settings; print(settings.{name})", **environment
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.strip().splitlines()[-1]


def test_the_laptop_needs_nothing_set():
    finished = manage("check")

    assert finished.returncode == 0, (
        f"`manage.py check` with nothing set failed:\n{finished.stderr}"
    )
    assert setting("DEBUG") == "True"


def test_production_passes_the_deployment_checklist():
    finished = manage("check", "--deploy", "--fail-level", "WARNING", **production())

    assert finished.returncode == 0, (
        "`manage.py check --deploy --fail-level WARNING` in production mode should be clean, "
        f"got:\n{finished.stderr}{finished.stdout}"
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_without_a_required_variable_refuses_to_start_and_names_it(missing):
    environment = production()
    del environment[missing]

    finished = manage("check", **environment)

    assert finished.returncode != 0, f"production mode started without {missing}"
    assert "ImproperlyConfigured" in finished.stderr and missing in finished.stderr, (
        f"the error should be an ImproperlyConfigured that names {missing}, got:\n{finished.stderr}"
    )


def test_production_reads_the_hosts_and_trusted_origins_from_the_environment():
    environment = production(
        DJANGO_ALLOWED_HOSTS="shop.example.com, www.shop.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://pay.example.com",
    )

    assert setting("ALLOWED_HOSTS", **environment) == str(
        ["shop.example.com", "www.shop.example.com"]
    )
    assert setting("CSRF_TRUSTED_ORIGINS", **environment) == str(["https://pay.example.com"])
