"""The learner's files, the starters they began from, and the reference solutions."""

import difflib
import re
import shutil
import subprocess
from datetime import datetime

from workshop import course

BACKUP_DIR = course.ROOT / ".workshop" / "backups"

# The starter is the file as the workshop shipped it: as cloned (origin), else as committed.
STARTER_REVISIONS = ("origin/HEAD", "HEAD")


class NoStarter(RuntimeError):
    """The starter version of a file cannot be found (no git, or the file is not in it)."""


def starter_text(lesson, name):
    """The starter version of one of the lesson's edited files, from git."""
    path = f"lessons/{lesson.slug}/{name}"
    for revision in STARTER_REVISIONS:
        try:
            shown = subprocess.run(
                ["git", "show", f"{revision}:{path}"],
                cwd=course.ROOT,
                capture_output=True,
                text=True,
                timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            break
        if shown.returncode == 0:
            return shown.stdout
    raise NoStarter(
        f"Cannot find the starter of {path}: reset needs the workshop's git clone "
        "(git clone, not a downloaded archive)."
    )


def is_untouched(lesson):
    """True while every edited file is exactly its starter; None if git cannot tell."""
    try:
        return all(
            path.read_text(encoding="utf-8") == starter_text(lesson, path.name)
            for path in lesson.files()
        )
    except (NoStarter, OSError):
        return None


def todo_location(lesson, message):
    """file:line of the TODO a failure message names (else the first TODO left), or None."""
    named = re.search(r"TODO (\d+)", message or "")
    wanted = f"TODO {named[1]}:" if named else "TODO"
    for path in lesson.files():
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        for number, line in enumerate(lines, start=1):
            if wanted in line:
                return f"{path.relative_to(course.ROOT)}:{number}"
    return None


def back_up(lesson):
    """Copy the learner's edited files aside and return the folder they went to."""
    folder = BACKUP_DIR / f"{lesson.slug}-{datetime.now():%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True)
    for path in lesson.files():
        if path.is_file():
            shutil.copy2(path, folder / path.name)
    return folder


def reset(lesson):
    """Put the starter files back, keeping a backup of the learner's. Returns the backup."""
    starters = {name: starter_text(lesson, name) for name in lesson.edit}  # Fail before writing.
    backup = back_up(lesson)
    for name, text in starters.items():
        (lesson.folder / name).write_text(text, encoding="utf-8")
    return backup


def solution_diff(lesson):
    """A unified diff from the learner's files to the reference solution."""
    chunks = []
    for mine, reference in zip(lesson.files("mine"), lesson.files("solutions"), strict=True):
        chunks.extend(
            difflib.unified_diff(
                mine.read_text(encoding="utf-8").splitlines(keepends=True),
                reference.read_text(encoding="utf-8").splitlines(keepends=True),
                fromfile=str(mine.relative_to(course.ROOT)),
                tofile=str(reference.relative_to(course.ROOT)),
            )
        )
    return "".join(chunks)
