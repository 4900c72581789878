"""`python -m workshop verify`: the promises every lesson keeps, checked by running them.

For each lesson: its files are in place and recorded as shipped (workshop/starters.json), every
reference solution passes, and the starter fails, on assertions or TODOs only (never on an
import error, a crash or a broken fixture). `--mutants` also runs the mutant catalogs.
"""

import re
from concurrent.futures import ThreadPoolExecutor

from rich.markup import escape

from workshop import course, runner, starters
from workshop.display import console

FAIR_FAILURES = {"assertion", "todo"}
TODO_NUMBER = re.compile(r"\bTODO (\d+)")


def todo_numbers(lesson):
    """The distinct numbers n of the `TODO n` marks in the files the learner edits."""
    texts = (starters.current_text(path) or "" for path in lesson.files())
    return sorted({int(number) for text in texts for number in TODO_NUMBER.findall(text)})


def hint_problems(lesson):
    """One hint per TODO, so that `hint N` walks through the steps and its last is the last."""
    todos = todo_numbers(lesson)
    if len(lesson.hints) == len(todos):
        return []
    listed = ", ".join(map(str, todos)) or "none"
    return [f"lesson.toml has {len(lesson.hints)} hints for {len(todos)} TODOs ({listed})"]


def layout_problems(lesson):
    problems = []
    if not (lesson.folder / "README.md").is_file():
        problems.append("no README.md")
    if not (lesson.folder / f"test_{lesson.package}.py").is_file():
        problems.append(f"no test_{lesson.package}.py")
    problems += hint_problems(lesson)
    shipped = {
        str(path.relative_to(lesson.solution_folder))
        for path in lesson.solution_folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    if shipped != set(lesson.edit):
        problems.append(f"solutions/{lesson.slug} holds {sorted(shipped)}, not {list(lesson.edit)}")
    if changed := starters.differences(lesson):
        problems.append(
            f"workshop/starters.json does not hold {', '.join(changed)} as in lessons/: "
            f"run {starters.RECORD_COMMAND}"
        )
    for path in lesson.files():
        if not path.is_file():
            problems.append(f"missing {path.name}")
        elif "TODO" not in path.read_text(encoding="utf-8"):
            problems.append(f"{path.name} has no TODO for the learner")
    return problems


def solution_problems(run):
    if run.problem:
        return [f"reference run failed: {run.problem}"]
    problems = [f"reference fails {test['name']}: {test['message']}" for test in run.failed]
    problems += [f"reference: {error['message']}" for error in run.collect_errors]
    if run.broken:
        problems.append(f"reference does not load: {run.broken}")
    if not run.tests:
        problems.append("reference run found no tests")
    return problems


def starter_problems(run):
    if run.problem:
        return [f"starter run failed: {run.problem}"]
    problems = [f"starter: {error['message']}" for error in run.collect_errors]
    if run.broken:
        problems.append(f"starter does not load: {run.broken}")
    if not run.failed:
        problems.append("the starter passes every test")
    problems += [
        f"starter fails {test['name']} with {test['kind']}, not an assertion: {test['message']}"
        for test in run.failed
        if test["kind"] not in FAIR_FAILURES
    ]
    return problems


def verify_lesson(lesson):
    solution = runner.run_lesson(lesson, "solutions", record_progress=False)
    starter = runner.run_lesson(lesson, "mine", record_progress=False)
    problems = layout_problems(lesson) + solution_problems(solution) + starter_problems(starter)
    summary = (
        f"solution {len(solution.passed)}/{len(solution.tests)} pass, "
        f"starter {len(starter.failed)}/{len(starter.tests)} fail"
    )
    return lesson, summary, problems


def verify_all():
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(verify_lesson, course.lessons()))
    for lesson, summary, problems in outcomes:
        mark = "[red]✘[/]" if problems else "[green]✔[/]"
        console.print(f"{mark} {lesson.slug:<20} {summary}", soft_wrap=True)
        for problem in problems:
            console.print(f"    [red]{escape(problem)}[/]", soft_wrap=True)
    failed = sum(bool(problems) for _, _, problems in outcomes)
    console.print(f"\n{len(outcomes) - failed} of {len(outcomes)} lessons verified.")
    return 1 if failed else 0
