"""What the benchmarks share: Django on a scratch database, percentiles, plots.

Each benchmark is a script (`python bench/<name>.py`) that sets up Django with the lessons it
needs (the reference solutions), measures in bounded loops on loopback, prints what it found
and saves its figure under docs/.
"""

import os
import socket
import statistics
import sys
import tempfile
import threading
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))  # Run as a script: make `shop` and `workshop` importable.


def setup_django(*lessons, queue_writers=True, **environment):
    """Start Django with these lessons (packages, e.g. "price_log") on a fresh SQLite file.

    The file is set up as the shop's settings set up SQLite: WAL, and every transaction a
    writer from its start (IMMEDIATE), so that the threads beside the benchmark (a worker, a
    server) wait for each other's writes instead of failing with "database is locked".
    queue_writers=False starts them as readers (DEFERRED): a transaction that stays open long
    (a task that sends mail inside one) then holds up no one, but other writers may fail.

    From here on, a task that fails in a worker or a thread that dies fails the benchmark
    (see record_errors_beside).
    """
    from workshop import course

    scratch = Path(tempfile.mkdtemp(prefix="workshop-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
            course.TARGET_ENV: "solutions",
            course.LESSONS_ENV: ",".join(course.find(name).slug for name in lessons),
            "DATABASE_URL": f"sqlite:///{scratch / 'db.sqlite3'}",
            **environment,
        }
    )
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    if not queue_writers:
        settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] = "DEFERRED"
    call_command("migrate", verbosity=0)
    record_errors_beside()
    return scratch


# Errors beside the benchmark, in a worker thread, a server thread or a task, never reach the
# code measured: a benchmark that ignored them would report the speed of work not done. Once
# there is one, report() and save_figure() stop the benchmark with them instead.
errors_beside = []


def record_errors_beside():
    from celery.signals import task_failure

    def task_failed(sender=None, task_id=None, exception=None, **kwargs):
        errors_beside.append(f"task {sender.name}[{task_id}] failed: {exception!r}")

    def thread_died(args):
        errors_beside.append(f"thread {args.thread.name} died: {args.exc_value!r}")

    task_failure.connect(task_failed, weak=False)
    threading.excepthook = thread_died


def fail_on_errors_beside():
    if errors_beside:
        first = "\n".join(errors_beside[:3])
        sys.exit(f"FAILED: {len(errors_beside)} errors beside the benchmark, first:\n{first}")


def free_port():
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def milliseconds(samples):
    """p50 and p99 of durations in seconds, in milliseconds."""
    ordered = sorted(samples)
    quantiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": quantiles[49] * 1000, "p99": quantiles[98] * 1000, "n": len(ordered)}


def report(label, stats):
    fail_on_errors_beside()
    print(f"{label:<40} p50 {stats['p50']:9.2f} ms   p99 {stats['p99']:9.2f} ms   (n={stats['n']})")


def port_open(host, port):
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def save_figure(figure, name):
    fail_on_errors_beside()
    path = DOCS / name
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"Saved {path.relative_to(ROOT)}")


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # Files only: no display needed.
    import matplotlib.pyplot as plt

    return plt


def quantile_bars(axes, results):
    """p50 and p99 side by side for each labelled result, in milliseconds."""
    positions = range(len(results))
    for offset, quantile in [(-0.2, "p50"), (0.2, "p99")]:
        values = [stats[quantile] for stats in results.values()]
        bars = axes.bar([i + offset for i in positions], values, width=0.4, label=quantile)
        axes.bar_label(bars, fmt="%.1f ms", fontsize=8)
    axes.set_xticks(positions, list(results))
