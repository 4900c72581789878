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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))  # Run as a script: make `shop` and `workshop` importable.


def setup_django(*lessons, queue_writers=True, **environment):
    """Start Django with these lessons (packages, e.g. "price_log") on a fresh SQLite file.

    queue_writers: start every transaction as a writer (IMMEDIATE), so that concurrent writers
    wait for each other instead of failing. A transaction that stays open long (a task that
    sends mail inside one) then holds up every other writer: pass False to measure around it.
    """
    from workshop import course

    scratch = Path(tempfile.mkdtemp(prefix="workshop-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "shop.settings",
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
    # Threads (a worker, a server) write beside the benchmark: WAL lets them read while one
    # writes. synchronous=NORMAL, as usual with WAL: a commit does not wait for the disk
    # (which here costs 4 to 5 ms, and would swamp what the benchmarks measure).
    settings.DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE" if queue_writers else "DEFERRED",
        "timeout": 20,
    }
    call_command("migrate", verbosity=0)
    return scratch


def milliseconds(samples):
    """p50 and p99 of durations in seconds, in milliseconds."""
    ordered = sorted(samples)
    quantiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": quantiles[49] * 1000, "p99": quantiles[98] * 1000, "n": len(ordered)}


def report(label, stats):
    print(f"{label:<40} p50 {stats['p50']:9.2f} ms   p99 {stats['p99']:9.2f} ms   (n={stats['n']})")


def port_open(host, port):
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def save_figure(figure, name):
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
