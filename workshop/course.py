"""The lessons: where they live, what they teach, and which of them Django loads.

A lesson is a folder ``lessons/NN_slug/`` that is also a Django app, imported as the package
``slug`` (``lessons/03_price_log`` is ``price_log``). Its ``lesson.toml`` names the files a
learner edits and the hints; ``solutions/NN_slug/`` holds the reference version of exactly
those files.
"""

import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS_DIR = ROOT / "lessons"
SOLUTIONS_DIR = ROOT / "solutions"

# For manage.py, Daphne, Celery, the notebooks and the demo: whose code to load, and which
# lessons. The pytest plugin chooses in-process instead (select()).
TARGET_ENV = "WORKSHOP_TARGET"  # "mine" (the learner's files, the default) or "solutions"
LESSONS_ENV = "WORKSHOP_LESSONS"  # comma-separated slugs; unset means every lesson

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
    async_tests: bool = False  # `async def` tests, which anyio's pytest plugin runs

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
                async_tests=meta.get("async_tests", False),
            )
        )
    return tuple(found)


def find(name) -> Lesson:
    """A lesson by number (1, "01"), slug ("03_price_log"), package ("price_log") or folder
    ("lessons/03_price_log", "./lessons/03_price_log/", "lessons\\03_price_log")."""
    text = str(name).strip().replace("\\", "/").strip("/")
    text = text.removeprefix("./").removeprefix("lessons/").strip("/")
    for lesson in lessons():
        if text in (lesson.slug, lesson.package) or (text.isdigit() and int(text) == lesson.number):
            return lesson
    choices = ", ".join(f"{lesson.number} ({lesson.package})" for lesson in lessons())
    raise UnknownLesson(f"There is no lesson {str(name)!r}. The lessons are: {choices}.")


def lesson_for_path(path) -> Lesson | None:
    """The lesson a file belongs to, whether it is under lessons/ or solutions/."""
    path = Path(path).resolve()
    for lesson in lessons():
        if path.is_relative_to(lesson.folder) or path.is_relative_to(lesson.solution_folder):
            return lesson
    return None


def relative(path) -> str:
    """A path as the learner sees it: from the repository's root, with "/" on every platform."""
    path = Path(path).resolve()
    return (path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).as_posix()


@dataclass(frozen=True)
class Selection:
    """The lessons that workshop/settings.py installs, and whose code they run."""

    lessons: tuple[Lesson, ...]
    target: str = "mine"  # "mine" or "solutions"
    for_tests: bool = False  # set by the pytest plugin


_chosen: Selection | None = None


def select(lessons, target="mine", for_tests=False):
    """Choose the lessons Django loads in this process; call it before django.setup()."""
    global _chosen
    _chosen = Selection(tuple(lessons), target, for_tests)


def selection() -> Selection:
    """What select() chose; otherwise the environment's choice (every lesson, your code)."""
    if _chosen is not None:
        return _chosen
    wanted = os.environ.get(LESSONS_ENV)
    chosen = [lesson for lesson in lessons() if wanted is None or lesson.slug in wanted.split(",")]
    return Selection(tuple(chosen), os.environ.get(TARGET_ENV, "mine"))


def selected_target() -> str:
    return selection().target
