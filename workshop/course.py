"""The lessons: where they live, what they teach, and which of them Django loads.

A lesson is a folder ``lessons/NN_slug/`` that is also a Django app, imported as the package
``slug`` (``lessons/03_price_log`` is ``price_log``). Its ``lesson.toml`` names the files a
learner edits and the hints; ``solutions/NN_slug/`` holds the reference version of exactly
those files.
"""

import json
import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workshop import overlay

ROOT = Path(__file__).resolve().parent.parent
LESSONS_DIR = ROOT / "lessons"
SOLUTIONS_DIR = ROOT / "solutions"

# Set by the pytest plugin and the CLI before Django starts; read by shop/settings.py.
TARGET_ENV = "WORKSHOP_TARGET"  # "mine" (the learner's files, the default) or "solutions"
LESSONS_ENV = "WORKSHOP_LESSONS"  # comma-separated slugs; unset means every lesson
BROKEN_ENV = "WORKSHOP_BROKEN"  # JSON {slug: error} of lessons that failed to load; left out

UNDER_TEST_ENV = "WORKSHOP_UNDER_TEST"  # set by the pytest plugin: leave runserver's app out

SLUG_PATTERN = re.compile(r"^(?P<number>\d\d)_(?P<package>[a-z][a-z0-9_]*)$")


class UnknownLesson(LookupError):
    """Raised by find() for a name that matches no lesson."""


@dataclass(frozen=True)
class Lesson:
    slug: str  # "03_price_log"
    number: int  # 3
    package: str  # "price_log": the Django app's import name
    title: str
    concept: str
    edit: tuple[str, ...]  # the files a learner edits, relative to the lesson folder
    hints: tuple[str, ...]

    @property
    def folder(self) -> Path:
        return LESSONS_DIR / self.slug

    @property
    def solution_folder(self) -> Path:
        return SOLUTIONS_DIR / self.slug

    def files(self, target="mine") -> list[Path]:
        """The edited files, as the learner has them or as the reference has them."""
        folder = self.solution_folder if target == "solutions" else self.folder
        return [folder / name for name in self.edit]

    def __str__(self):
        return f"{self.number:02d} {self.title}"


@cache
def lessons() -> tuple[Lesson, ...]:
    """Every lesson, in order."""
    found = []
    for folder in sorted(LESSONS_DIR.iterdir()):
        match = SLUG_PATTERN.match(folder.name)
        if not match or not (folder / "lesson.toml").is_file():
            continue
        meta = tomllib.loads((folder / "lesson.toml").read_text(encoding="utf-8"))
        found.append(
            Lesson(
                slug=folder.name,
                number=int(match["number"]),
                package=match["package"],
                title=meta["title"],
                concept=meta["concept"],
                edit=tuple(meta["edit"]),
                hints=tuple(hint.strip() for hint in meta["hints"]),
            )
        )
    return tuple(found)


def find(name: str) -> Lesson:
    """A lesson by number ("3", "03"), slug ("03_price_log") or package ("price_log")."""
    name = name.strip().rstrip("/").removeprefix("lessons/")
    for lesson in lessons():
        if name in (lesson.slug, lesson.package) or (name.isdigit() and int(name) == lesson.number):
            return lesson
    choices = ", ".join(f"{lesson.number} ({lesson.package})" for lesson in lessons())
    raise UnknownLesson(f"There is no lesson {name!r}. The lessons are: {choices}.")


def lesson_for_path(path: Path) -> Lesson | None:
    """The lesson a file belongs to, whether it is under lessons/ or solutions/."""
    path = Path(path).resolve()
    for lesson in lessons():
        if path.is_relative_to(lesson.folder) or path.is_relative_to(lesson.solution_folder):
            return lesson
    return None


def selected_target() -> str:
    return os.environ.get(TARGET_ENV, "mine")


def broken_lessons() -> dict[str, str]:
    """Lessons that could not be loaded in this run, with the error that stopped each."""
    return json.loads(os.environ.get(BROKEN_ENV) or "{}")


def install_lessons() -> list[str]:
    """Make the selected lessons importable and return their app names for INSTALLED_APPS.

    Called once, from shop/settings.py. The environment says which lessons to load and
    whether from the learner's files or from the reference solutions.
    """
    wanted = os.environ.get(LESSONS_ENV)
    broken = broken_lessons()
    chosen = [
        lesson
        for lesson in lessons()
        if (wanted is None or lesson.slug in wanted.split(",")) and lesson.slug not in broken
    ]
    overlay.install(chosen, use_solutions=selected_target() == "solutions")
    return [lesson.package for lesson in chosen]
