"""Import a lesson's modules from the learner's folder or from the reference solution.

Each lesson folder is a package (lessons/03_price_log is `price_log`), created from its
`__init__.py` with Python's own package mechanism. Under --solutions its search path is
[solutions/NN_slug, lessons/NN_slug]: a module that the reference holds comes from there and
every other one from the lesson folder. So the same tests, importing the same names
(`from price_log import receivers`), check either version, and a solution folder holds only the
files a learner edits.
"""

import importlib.util
import sys


def search_path(lesson, use_solutions):
    """Where the lesson package's modules are looked up, in order."""
    if use_solutions:
        return [str(lesson.solution_folder), str(lesson.folder)]
    return [str(lesson.folder)]


def install(lessons, use_solutions):
    """Import each lesson's package, so that `import price_log.receivers` finds its modules."""
    for lesson in lessons:
        spec = importlib.util.spec_from_file_location(
            lesson.package,
            lesson.folder / "__init__.py",
            submodule_search_locations=search_path(lesson, use_solutions),
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[lesson.package] = package
        try:
            spec.loader.exec_module(package)
        except BaseException:
            del sys.modules[lesson.package]
            raise
