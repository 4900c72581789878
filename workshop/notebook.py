"""Start Django inside a Jupyter notebook. Each notebook's first cell calls setup()."""

import os
import tempfile
from pathlib import Path

from workshop import course


def setup(lesson, target="solutions"):
    """Set up Django to explore one lesson, on a fresh SQLite database of its own.

    The reference solution runs by default, so a notebook works before you do the lesson;
    pass target="mine" to explore your own code instead.
    """
    course.select([course.find(lesson)], target)
    database = Path(tempfile.mkdtemp(prefix="workshop-notebook-")) / "db.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
    # Jupyter runs every cell inside an asyncio event loop, which makes Django refuse ORM
    # calls "from async code". A notebook runs one cell at a time, so that is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    import altair
    import django
    from django.core.management import call_command

    # Charts go to the notebook as Vega-Lite data, which JupyterLab and VS Code draw
    # themselves: offline, with no script fetched from the web.
    altair.renderers.enable("mimetype")
    django.setup()
    call_command("migrate", verbosity=0)
    code = "your code" if target == "mine" else "the reference solution"
    print(f"Django is ready: lesson {lesson}, {code}, database {database}")
