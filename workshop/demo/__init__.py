"""`python -m workshop demo`: the finished shop in one process, with no server to install.

One process runs it all: Django on a fresh SQLite file under .workshop/demo/, a Celery worker
thread on the in-memory broker, Channels' in-memory layer, Daphne serving HTTP and WebSockets,
and an SMTP sink on loopback whose inbox the demo page shows. Ctrl-C stops it all.
"""

import os
import socket
import sys
from contextlib import closing
from pathlib import Path

from workshop import course

from . import inbox

HOME = course.ROOT / ".workshop" / "demo"
HOST = "127.0.0.1"
SCALE_OUT_VARIABLES = ["DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL"]
PRODUCTS = [("Mug", "9.50"), ("Tea", "4.00"), ("Teapot", "24.00")]


def run(target: str = "solutions", port: int = 8000, home: Path = HOME) -> int:
    """Serve the demo on http://127.0.0.1:<port>/ until Ctrl-C; return the exit status.

    target is "solutions" (the reference code) or "mine" (the learner's lessons/). Port 0
    picks a free port; the URL printed says which.
    """
    if port and not port_is_free(port):
        print(f"Port {port} is busy: stop what uses it, or pass --port <another>.")
        return 1
    database = fresh_database(Path(home))
    smtp = inbox.open_inbox()
    try:
        configure(target, database, smtp.port)
        try:
            start_django()
        except Exception as error:  # A learner's lesson that does not load, most often.
            print(f"The shop could not start: {type(error).__name__}: {error}")
            print("Run `python -m workshop` to see which lesson needs fixing.")
            return 1
        from . import server

        server.prepare_database(PRODUCTS)
        server.serve(HOST, port)
    finally:
        inbox.close_inbox()
    print("Demo stopped.")
    return 0


def port_is_free(port):
    with closing(socket.socket()) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def fresh_database(home):
    """The demo starts from an empty database each time: no leftovers from a previous run."""
    home.mkdir(parents=True, exist_ok=True)
    database = home / "db.sqlite3"
    for leftover in home.glob("db.sqlite3*"):  # The database and its WAL files.
        leftover.unlink()
    return database


def configure(target, database, smtp_port):
    """Tell Django (before it starts) which lessons to load and where the demo's parts are."""
    os.environ[course.TARGET_ENV] = target
    os.environ.pop(course.LESSONS_ENV, None)  # Every lesson.
    os.environ["DJANGO_SETTINGS_MODULE"] = "workshop.demo.settings"
    for server_url in SCALE_OUT_VARIABLES:  # One process: none of the servers they point at.
        os.environ.pop(server_url, None)
    os.environ["WORKSHOP_DEMO_DATABASE"] = str(database)
    os.environ["WORKSHOP_DEMO_SMTP_PORT"] = str(smtp_port)


def start_django():
    import django

    django.setup()
    sys.stdout.flush()
