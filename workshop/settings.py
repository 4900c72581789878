"""The settings every lesson runs under: the shop's own, plus the lesson apps.

`shop/settings.py` is a plain Django project; this module adds the lessons that
`workshop.course.selection()` names (the pytest plugin's choice, or WORKSHOP_TARGET=mine|solutions
and WORKSHOP_LESSONS for manage.py, Daphne, Celery, the notebooks and the demo).
"""

from shop.settings import *  # noqa: F403
from shop.settings import INSTALLED_APPS
from workshop import course, overlay

_selection = course.selection()
overlay.install(_selection.lessons, use_solutions=_selection.target == "solutions")

INSTALLED_APPS = [*INSTALLED_APPS, *(lesson.package for lesson in _selection.lessons)]

# Daphne's app serves `runserver` alone, and importing it loads Twisted: a third of a lesson
# check's start-up. Tests never call runserver (the live-server fixture starts Daphne itself).
if _selection.for_tests:
    INSTALLED_APPS.remove("daphne")
    if CELERY_BROKER_URL.startswith("memory://"):  # noqa: F405
        # A test waits for its worker every time it queues a task (a retry queues another):
        # poll the in-memory broker every 2 ms. The demo keeps the shop's 10 ms, easier on a
        # laptop's battery.
        CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": 0.002}
