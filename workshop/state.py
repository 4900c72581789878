"""What the CLI remembers between calls: how many hints of each lesson were shown."""

import json

from workshop import course

STATE_FILE = course.ROOT / ".workshop" / "state.json"


def load():
    try:
        return json.loads(STATE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save(state):
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state, indent=1), encoding="utf-8")


def next_hint(lesson):
    """The next hint's number (1-based) and text; the last one again once all were shown."""
    state = load()
    shown = state.setdefault("hints_shown", {}).get(lesson.slug, 0)
    number = min(shown + 1, len(lesson.hints))
    state["hints_shown"][lesson.slug] = number
    save(state)
    return number, lesson.hints[number - 1]
