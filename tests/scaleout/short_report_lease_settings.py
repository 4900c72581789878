"""Workshop settings (the shop and its lessons) with claim leases of seconds, not minutes.

The report task of lesson 04 (celery_offload.tasks.CLAIM_LEASE) and the outbox's message task of
lesson 06 (outbox.tasks.CLAIM_LEASE) claim their work for a lease: a run that finds it claimed
comes back a lease later, and takes it over if its owner died. The scale-out tests that kill a
worker, or deliver a task twice, run their workers with these settings, to see that in seconds.
"""

from datetime import timedelta

from workshop.settings import *  # noqa: F403

# Longer than any send in those tests (their mail server answers within 4 s).
ORDER_REPORT_CLAIM_LEASE = timedelta(seconds=10)
OUTBOX_CLAIM_LEASE = timedelta(seconds=10)
