"""The lesson files as the workshop ships them, recorded in workshop/starters.json.

The board tells "not started" from "failing", `reset` puts files back and `solution` compares
against them: all of it without git, so a ZIP download works exactly like a clone. Maintainers
record lessons/ after changing a lesson, and `python -m workshop verify` fails while the record
and lessons/ differ:

    python -m workshop.starters
"""

import json
import sys
from functools import cache
from pathlib import Path

from workshop import course

MANIFEST = Path(__file__).with_name("starters.json")
RECORD_COMMAND = "python -m workshop.starters"
LEFT_OUT = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


def normalized(text):
    # A Windows clone may turn every line ending into CRLF: that is not a change of the learner's.
    return text.replace("\r\n", "\n")


def folder_files(folder):
    """{relative path: text} of every file under folder, as shipped (no caches)."""
    return {
        path.relative_to(folder).as_posix(): normalized(path.read_text(encoding="utf-8"))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not LEFT_OUT & set(path.parts) and path.suffix != ".pyc"
    }


@cache
def recorded():
    """{lesson slug: {relative path: text}} as shipped; empty if the record cannot be read."""
    try:
        data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def shipped(lesson):
    """{relative path: text} of every file of the lesson as shipped."""
    files = recorded().get(lesson.slug)
    return files if isinstance(files, dict) else {}


def current_text(path):
    """A file's text with normalized line endings; None if it is missing or not UTF-8."""
    try:
        return normalized(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def differences(lesson):
    """The files of lessons/ that the record does not hold as they are now (for verify)."""
    try:
        now = folder_files(lesson.folder)
    except (OSError, UnicodeDecodeError) as error:
        return [f"cannot read lessons/{lesson.slug}: {error}"]
    shipped_files = shipped(lesson)
    return sorted(
        name
        for name in now.keys() | shipped_files.keys()
        if now.get(name) != shipped_files.get(name)
    )


def record():
    """Write the manifest from lessons/ as it is now."""
    manifest = {lesson.slug: folder_files(lesson.folder) for lesson in course.lessons()}
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv=None):
    manifest = record()
    count = sum(len(files) for files in manifest.values())
    where = MANIFEST.relative_to(course.ROOT).as_posix()
    print(f"Recorded {count} files of {len(manifest)} lessons in {where}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
