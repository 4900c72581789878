"""Workshop settings (the shop and its lessons) with a report claim lease of seconds, not minutes.

Lesson 04's report task claims an order for a lease (celery_offload.tasks.CLAIM_LEASE); a run
that finds it claimed comes back a lease later, and takes it over if its owner died. The
scale-out tests of lesson 04 run their workers with these settings, to see that in seconds.
"""

from datetime import timedelta

from workshop.settings import *  # noqa: F403

# Longer than any send in those tests (their mail server answers within 4 s).
ORDER_REPORT_CLAIM_LEASE = timedelta(seconds=10)
