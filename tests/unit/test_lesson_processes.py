"""Which lessons a pytest runs itself, and which it hands to child processes."""

from types import SimpleNamespace

from workshop import course, lesson_processes

ROOT = course.ROOT


def plan(*paths, options=(), target="mine", invocation_dir=ROOT):
    invocation = SimpleNamespace(dir=invocation_dir, args=[*paths, *options])
    return lesson_processes.plan(list(paths), invocation, target)


def test_one_lesson_runs_here_alone():
    for arg in ["lessons/03_price_log", "lessons/03_price_log/test_price_log.py::test_x"]:
        assert plan(arg) == lesson_processes.Plan(here=(course.find(3),))


def test_run_inside_a_lessons_folder_it_runs_that_lesson_here():
    assert plan(invocation_dir=course.find(2).folder).here == (course.find(2),)


def test_two_lessons_each_run_in_a_child_with_the_other_options():
    found = plan(
        "lessons/01_signals_basics", "lessons/02_welcome_email", options=["-q", "-k", "order"]
    )

    assert found.here == ()
    assert found.children == {
        course.find(1): ["lessons/01_signals_basics"],
        course.find(2): ["lessons/02_welcome_email"],
    }
    assert found.options == ("-q", "-k", "order")


def test_everything_puts_every_lesson_in_a_child_and_loads_the_references_here():
    found = plan(options=["--solutions"], target="solutions")

    assert list(found.children) == list(course.lessons())
    assert found.here == course.lessons()


def test_the_learners_full_run_loads_no_lesson_here():
    assert plan().here == ()


def test_a_lesson_named_by_a_file_is_collected_here_as_its_folder():
    arg = "lessons/01_signals_basics/test_signals_basics.py"
    found = plan(arg, "tests")

    assert found.rewritten(["-q", arg, "tests"], [arg, "tests"]) == [
        "-q",
        str(course.find(1).folder),
        "tests",
    ]
    assert found.children[course.find(1)] == [arg]


def test_anyio_is_loaded_only_where_async_tests_run():
    assert plan("lessons/05_channels_push").needs_async_tests()  # its lesson.toml says so
    assert not plan("lessons/01_signals_basics").needs_async_tests()
    assert not plan("lessons/01_signals_basics", "lessons/05_channels_push").needs_async_tests()
    assert plan("tests").needs_async_tests()  # the kit's own tests have some
    assert plan().needs_async_tests()


def test_the_conftest_of_a_lesson_run_by_a_child_is_not_loaded_here():
    found = plan("lessons/01_signals_basics", "lessons/05_channels_push")

    assert found.started_here(["lessons/01_signals_basics", "lessons/05_channels_push"]) == []
    assert found.started_here(["tests"]) == ["tests"]
