"""How long a learner waits for a lesson's check, against the bare Django start-up beneath it.

For each lesson, the median wall time of whole processes, each run several times, interleaved:

- bare: `django.setup()` with only that lesson loaded, as the check loads it;
- reference: `python -m pytest --solutions lessons/NN_slug -m "not browser"`;
- starter: the same without --solutions (the lesson as a learner first meets it).

The overhead (reference or starter minus bare) is what the kit and the tests cost:

    python bench/check_speed.py            # every lesson, 7 runs each
    python bench/check_speed.py 1 3 -n 9
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop import course  # noqa: E402

BUDGET = {1: 0.4, 2: 0.4, 3: 0.4}  # seconds over the bare start-up; 0.8 for the others
BARE = (
    "import os, django; from workshop import course; "
    "course.select([course.find({number})], 'solutions', for_tests=True); "
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'workshop.settings'; django.setup()"
)


def commands(lesson):
    check = [sys.executable, "-m", "pytest", f"lessons/{lesson.slug}", "-q", "-m", "not browser"]
    return {
        "bare": [sys.executable, "-c", BARE.format(number=lesson.number)],
        "reference": [*check, "--solutions"],
        "starter": check,
    }


def wall_time(command):
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - started


def measure(lesson, runs):
    timings = {name: [] for name in commands(lesson)}
    for _ in range(runs):  # Interleaved, so that a busy moment weighs on all three alike.
        for name, command in commands(lesson).items():
            timings[name].append(wall_time(command))
    return {name: statistics.median(values) for name, values in timings.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers (default: all)")
    parser.add_argument("-n", "--runs", type=int, default=7)
    args = parser.parse_args()
    lessons = [course.find(name) for name in args.lessons] or list(course.lessons())
    print(f"median of {args.runs} runs, seconds of wall time")
    print(f"{'lesson':<20} {'bare':>6} {'ref':>6} {'starter':>8} {'ref-bare':>9} "
          f"{'start-bare':>11} {'budget':>7}")  # fmt: skip
    over = False
    for lesson in lessons:
        median = measure(lesson, args.runs)
        budget = BUDGET.get(lesson.number, 0.8)
        reference = median["reference"] - median["bare"]
        starter = median["starter"] - median["bare"]
        over |= reference > budget
        print(
            f"{lesson.slug:<20} {median['bare']:6.2f} {median['reference']:6.2f} "
            f"{median['starter']:8.2f} {reference:9.2f} {starter:11.2f} {budget:7.1f}"
        )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
