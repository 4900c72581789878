"""The learner's lesson files: compared with the starters, put back, diffed with the reference."""

import difflib
import re
from datetime import datetime

from workshop import course, starters

BACKUP_DIR = course.ROOT / ".workshop" / "backups"


def shown(path):
    """A path as the learner sees it in messages: relative to the workshop, with slashes."""
    try:
        return path.relative_to(course.ROOT).as_posix()
    except ValueError:
        return str(path)


def missing_files(lesson):
    """Shipped files the lesson's check needs (all but its README) that are gone."""
    return [
        lesson.folder / name
        for name in starters.shipped(lesson)
        if not name.endswith(".md") and not (lesson.folder / name).is_file()
    ]


def not_utf8(lesson):
    """The lesson's Python files that Python cannot read, because they are not UTF-8."""
    return [
        path
        for path in sorted(lesson.folder.rglob("*.py"))
        if path.is_file() and starters.current_text(path) is None
    ]


def damage(lesson):
    """One line on what keeps the lesson from being checked at all, or None."""
    if missing := missing_files(lesson):
        names = ", ".join(shown(path) for path in missing)
        them = "it" if len(missing) == 1 else "them"
        return f"missing {names}: python -m workshop reset {lesson.number} puts {them} back"
    if unreadable := not_utf8(lesson):
        return f"not UTF-8 ({shown(unreadable[0])}): save it as UTF-8 in your editor"
    return None


def changed_files(lesson):
    """What reset puts back: edited files that differ from the starter, and any missing file."""
    changed = []
    for name, text in starters.shipped(lesson).items():
        path = lesson.folder / name
        if not path.is_file() or (name in lesson.edit and starters.current_text(path) != text):
            changed.append(name)
    return changed


def is_untouched(lesson):
    """True while every file the learner edits is exactly as shipped; None if unknown."""
    if not starters.shipped(lesson):
        return None
    return not any(name in lesson.edit for name in changed_files(lesson))


def todo_location(lesson, message):
    """file:line of the TODO a failure message names (else the first TODO left), or None."""
    named = re.search(r"TODO (\d+)", message or "")
    wanted = f"TODO {named[1]}:" if named else "TODO"
    for path in lesson.files():
        lines = (starters.current_text(path) or "").splitlines()
        for number, line in enumerate(lines, start=1):
            if wanted in line:
                return f"{shown(path)}:{number}"
    return None


def reset(lesson):
    """Put back the shipped version of each changed file; return (names, backup folder or None).

    The learner's versions of the files it replaces go to .workshop/backups/ first. A lesson
    with nothing to put back is left alone: no backup.
    """
    names = changed_files(lesson)
    backup = None
    kept = [name for name in names if (lesson.folder / name).is_file()]
    if kept:
        backup = BACKUP_DIR / f"{lesson.slug}-{datetime.now():%Y%m%d-%H%M%S-%f}"
        for name in kept:
            (backup / name).parent.mkdir(parents=True, exist_ok=True)
            (backup / name).write_bytes((lesson.folder / name).read_bytes())
    shipped = starters.shipped(lesson)
    for name in names:
        (lesson.folder / name).parent.mkdir(parents=True, exist_ok=True)
        (lesson.folder / name).write_text(shipped[name], encoding="utf-8")
    return names, backup


def solution_diff(lesson):
    """A unified diff from the learner's files to the reference solution."""
    chunks = []
    for mine, reference in zip(lesson.files("mine"), lesson.files("solutions"), strict=True):
        chunks.extend(
            difflib.unified_diff(
                (starters.current_text(mine) or "").splitlines(keepends=True),
                (starters.current_text(reference) or "").splitlines(keepends=True),
                fromfile=shown(mine),
                tofile=shown(reference),
            )
        )
    return "".join(chunks)
