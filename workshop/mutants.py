"""Do a lesson's tests catch the mistakes learners make, and accept every correct way?

`tests/mutants/NN_slug.toml` is a lesson's catalog. Each `[[mutant]]` is the finished lesson with
one realistic mistake, and the words the first failing test's message must contain so that the
learner is told what is wrong. Each `[[alternative]]` is another correct way to write it, which
must pass. An edit is `file` (relative to the lesson folder) with `old` and `new` text, or with
the whole `content`; `edits = [...]` holds several.

Every case runs like `workshop check` does, in a copy of the repository where the lesson's
files are the reference solution with the case's edits applied:

    python -m workshop.mutants            # every lesson with a catalog
    python -m workshop.mutants 3 -v       # one lesson, every case with its first message
    python -m workshop.mutants 3 -k bulk  # only the cases whose name contains "bulk"
"""

import argparse
import shutil
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from workshop import course, runner

CATALOG_DIR = course.ROOT / "tests" / "mutants"
MIN_MUTANTS, MIN_ALTERNATIVES, MIN_NAMED = 25, 6, 0.9
# What a lesson's tests need from the repository; the rest (git, node_modules, notebooks) stays.
NEEDED = ("conftest.py", "pyproject.toml", "manage.py", "shop", "workshop", "lessons", "solutions")
LEFT_OUT = shutil.ignore_patterns("__pycache__", ".workshop", "db.sqlite3*")
# As `workshop check` runs a lesson: browser tests skipped (they add seconds a case).
CHECK_OPTIONS = ("-p", "workshop.without_browser")
# A mutant is judged by its first failure: the tests after it need not run.
FIRST_FAILURE_ONLY = ("-x",)


class CatalogError(ValueError):
    """A catalog entry that cannot be applied: fix the catalog, not the lesson."""


@dataclass(frozen=True)
class Edit:
    file: str
    old: str | None = None
    new: str | None = None
    content: str | None = None


@dataclass(frozen=True)
class Case:
    lesson: course.Lesson
    kind: str  # "mutant", "alternative" or "reference" (the finished lesson itself)
    name: str
    edits: tuple[Edit, ...] = ()
    expect: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    case: Case
    passed: bool
    message: str

    @property
    def named(self):
        text = self.message.casefold()
        return all(word.casefold() in text for word in self.case.expect)


def catalog_path(lesson):
    return CATALOG_DIR / f"{lesson.slug}.toml"


def load_catalog(lesson):
    """The lesson's cases, the finished lesson itself first (it must pass, or nothing counts)."""
    data = tomllib.loads(catalog_path(lesson).read_text(encoding="utf-8"))
    cases = [Case(lesson, "reference", "the reference solution, unchanged")]
    for kind in ("mutant", "alternative"):
        for entry in data.get(kind, []):
            cases.append(
                Case(
                    lesson,
                    kind,
                    entry["name"],
                    edits=edits_of(entry),
                    expect=tuple(entry.get("expect", ())),
                )
            )
            if kind == "mutant" and not cases[-1].expect:
                raise CatalogError(f"mutant {entry['name']!r} has no `expect` words")
    return cases


def edits_of(entry):
    raw = entry.get("edits") or [entry]
    return tuple(
        Edit(edit["file"], edit.get("old"), edit.get("new"), edit.get("content")) for edit in raw
    )


def finished_text(lesson, name):
    """A lesson file as the finished lesson has it: the reference's version if there is one."""
    for folder in (lesson.solution_folder, lesson.folder):
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8")
    return None


def apply(edit, text, case):
    if edit.content is not None:
        return edit.content
    if text is None:
        raise CatalogError(f"{case.name!r}: {edit.file} does not exist; give its `content`")
    if text.count(edit.old) != 1:
        found = text.count(edit.old)
        raise CatalogError(f"{case.name!r}: `old` occurs {found} times in {edit.file}, not once")
    return text.replace(edit.old, edit.new)


def prepare(case, scratch):
    """A copy of the repository whose lesson folder holds the finished lesson plus the edits."""
    root = Path(scratch) / "repo"
    root.mkdir()
    for name in NEEDED:
        source = course.ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=LEFT_OUT)
        else:
            shutil.copy2(source, root / name)
    folder = root / "lessons" / case.lesson.slug
    for name in case.lesson.edit:
        (folder / name).write_text(finished_text(case.lesson, name), encoding="utf-8")
    texts = {}
    for edit in case.edits:
        current = texts.get(edit.file, finished_text(case.lesson, edit.file))
        texts[edit.file] = apply(edit, current, case)
    for name, text in texts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return root


def first_message(run):
    """What the learner would read first: the same order as `workshop check` shows it."""
    if run.problem:
        return run.problem
    if run.broken:
        return run.broken
    if run.collect_errors:
        return run.collect_errors[0]["message"]
    if run.first_failure:
        return run.first_failure["message"] or ""
    return ""


def run_case(case):
    with tempfile.TemporaryDirectory(prefix="workshop-mutant-") as scratch:
        try:
            root = prepare(case, scratch)
        except CatalogError as error:
            return Outcome(case, passed=False, message=f"catalog error: {error}")
        options = CHECK_OPTIONS + (FIRST_FAILURE_ONLY if case.kind == "mutant" else ())
        run = runner.run_lesson(
            case.lesson, "mine", record_progress=False, root=root, extra=options
        )
    return Outcome(case, passed=run.ok, message=first_message(run))


def judge(lesson, outcomes):
    """One summary line for the lesson and a line for every case that let a learner down."""
    mutants = [o for o in outcomes if o.case.kind == "mutant"]
    alternatives = [o for o in outcomes if o.case.kind == "alternative"]
    caught = [o for o in mutants if not o.passed]
    named = [o for o in caught if o.named]
    accepted = [o for o in alternatives if o.passed]
    summary = (
        f"{lesson.slug:<20} caught {len(caught)}/{len(mutants)}, "
        f"accepted {len(accepted)}/{len(alternatives)}, named {len(named)}/{len(caught)}"
    )
    problems = []
    for outcome in outcomes:
        case, message = outcome.case, one_line(outcome.message)
        if message.startswith("catalog error"):
            problems.append(f"{case.name}: {message}")
        elif case.kind == "reference" and not outcome.passed:
            problems.append(f"the reference itself fails: {message}")
        elif case.kind == "mutant" and outcome.passed:
            problems.append(f"NOT CAUGHT: {case.name}")
        elif case.kind == "alternative" and not outcome.passed:
            problems.append(f"REJECTED: {case.name}: {message}")
        elif case.kind == "mutant" and not outcome.named:
            problems.append(f"not named: {case.name}: wanted {list(case.expect)}, got: {message}")
    failed = any(not p.startswith("not named") for p in problems)
    if len(mutants) < MIN_MUTANTS or len(alternatives) < MIN_ALTERNATIVES:
        problems.append(f"at least {MIN_MUTANTS} mutants and {MIN_ALTERNATIVES} alternatives")
        failed = True
    if caught and len(named) < MIN_NAMED * len(caught):
        failed = True
    return summary, problems, failed


def one_line(text, width=160):
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m workshop.mutants",
        description="Run each lesson's catalog of wrong solutions and correct alternatives.",
    )
    parser.add_argument("lessons", nargs="*", help="lesson numbers or names (default: all)")
    parser.add_argument("-k", dest="keyword", help="only the cases whose name contains this")
    parser.add_argument("-v", "--verbose", action="store_true", help="every case's first message")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="cases run at once (2)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        lessons = [course.find(name) for name in args.lessons] or [
            lesson for lesson in course.lessons() if catalog_path(lesson).is_file()
        ]
        catalogs = {lesson: load_catalog(lesson) for lesson in lessons}
    except (course.UnknownLesson, CatalogError, OSError, tomllib.TOMLDecodeError) as error:
        print(f"{error}", file=sys.stderr)
        return 2
    cases = [
        case
        for lesson_cases in catalogs.values()
        for case in lesson_cases
        if not args.keyword or case.kind == "reference" or args.keyword in case.name
    ]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(run_case, cases))
    any_failed = False
    for lesson in catalogs:
        mine = [outcome for outcome in outcomes if outcome.case.lesson == lesson]
        summary, problems, failed = judge(lesson, mine)
        any_failed |= failed and not args.keyword
        print(("FAIL " if failed else "ok   ") + summary)
        for problem in problems:
            print(f"     {problem}")
        if args.verbose:
            for outcome in mine:
                verdict = "passes" if outcome.passed else "fails"
                print(f"     [{outcome.case.kind} {verdict}] {outcome.case.name}")
                print(f"         {one_line(outcome.message)}")
    return 1 if any_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
