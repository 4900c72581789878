"""`python -m workshop watch`: check a lesson again every time one of its files is saved."""

import time

from workshop.display import console, show_run

POLL_SECONDS = 0.5  # Polling needs no extra package and is instant enough for a human.


def snapshot(lesson):
    return {
        path: path.stat().st_mtime_ns
        for path in [*lesson.folder.rglob("*.py"), *lesson.folder.rglob("*.html")]
    }


def watch_lesson(lesson, check):
    """Show `check()`'s run of the lesson now and after every save; Ctrl-C stops."""
    seen = None
    try:
        while True:
            current = snapshot(lesson)
            if current != seen:
                seen = current
                console.clear()
                with console.status(f"Running lesson {lesson.number:02d}'s tests..."):
                    run = check()
                show_run(run)
                console.print(f"\n[dim]Watching lessons/{lesson.slug}/ (Ctrl-C to stop)[/]")
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        console.print("\nStopped watching.")
        return 0
