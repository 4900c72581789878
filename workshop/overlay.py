"""Import a lesson's modules from the learner's folder or from the reference solution.

In solutions mode, a module that ``solutions/NN_slug/`` holds is imported from there and every
other module of the lesson from ``lessons/NN_slug/``. So the same tests, importing the same
names (``from price_log import receivers``), check either version, and a solution folder holds
only the files a learner edits.
"""

import importlib.util
import sys
from importlib.abc import MetaPathFinder
from pathlib import Path


class LessonFinder(MetaPathFinder):
    def __init__(self, lessons, use_solutions):
        self.use_solutions = use_solutions
        self._lessons = {lesson.package: lesson for lesson in lessons}

    def find_spec(self, fullname, path=None, target=None):
        package, _, submodule = fullname.partition(".")
        lesson = self._lessons.get(package)
        if lesson is None:
            return None
        if not submodule:
            # The package itself is always the lesson folder, so Django sees one app path.
            return importlib.util.spec_from_file_location(
                package,
                lesson.folder / "__init__.py",
                submodule_search_locations=[str(lesson.folder)],
            )
        relative = Path(*submodule.split(".")).with_suffix(".py")
        folders = [lesson.folder]
        if self.use_solutions:
            folders.insert(0, lesson.solution_folder)
        for folder in folders:
            if (folder / relative).is_file():
                return importlib.util.spec_from_file_location(fullname, folder / relative)
        return None


def install(lessons, use_solutions):
    """Put a finder for these lessons in front of Python's own (once per process)."""
    for finder in list(sys.meta_path):
        if isinstance(finder, LessonFinder):
            sys.meta_path.remove(finder)
    sys.meta_path.insert(0, LessonFinder(lessons, use_solutions))
