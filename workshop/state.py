"""What the CLI remembers between calls: how many hints of each lesson the learner has seen.

The file is .workshop/state.json. Anything in it of the wrong shape (hand-edited, truncated,
from another version) is ignored and rebuilt: forgetting a hint count costs the learner nothing.
"""

import json

from workshop import course

STATE_FILE = course.ROOT / ".workshop" / "state.json"


def load():
    """{"hints_shown": {lesson slug: count}}, keeping only the counts that make sense."""
    try:
        data = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    shown = data.get("hints_shown") if isinstance(data, dict) else None
    if not isinstance(shown, dict):
        shown = {}
    counts = {
        slug: count
        for slug, count in shown.items()
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0
    }
    return {"hints_shown": counts}


def save(state):
    try:
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        STATE_FILE.write_text(json.dumps(state, indent=1), encoding="utf-8")
    except OSError:
        pass  # A read-only copy of the workshop: the hints still show, they are just not counted.


def hints_seen(lesson):
    """How many of the lesson's hints the learner has seen."""
    return min(load()["hints_shown"].get(lesson.slug, 0), len(lesson.hints))


def next_hint(lesson):
    """The number (1-based) of the hint to show now, counted as seen; the last one stays last."""
    state = load()
    number = min(state["hints_shown"].get(lesson.slug, 0) + 1, len(lesson.hints))
    state["hints_shown"][lesson.slug] = number
    save(state)
    return number
