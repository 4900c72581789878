from django.apps import AppConfig, apps
from django.conf import settings
from django.db.models.signals import post_save

# Lessons 02 and 04 send the welcome email and queue the order's report straight from their
# receivers: a broker or a mail server that is down then loses them. Where those lessons are
# loaded too (the demo, the deployed shop), this lesson takes their events over: their receivers
# are disconnected, by the dispatch_uid each was connected with, and the outbox carries both.
TAKEN_OVER = [  # (the app, the sender, the dispatch_uid of its receiver)
    ("celery_offload", "shop.Order", "celery_offload.queue_order_report"),
    ("welcome_email", settings.AUTH_USER_MODEL, "welcome_email.welcome_new_user"),
]


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Lesson 06: a transactional outbox"

    def ready(self):
        # Imported here, not at the top: models can be imported only once apps are loaded.
        from shop.models import Order, OutboxMessage

        from . import notify, receivers

        post_save.connect(
            receivers.write_order_report_message,
            sender=Order,
            dispatch_uid="outbox.write_order_report_message",
        )
        post_save.connect(
            receivers.write_welcome_email_message,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="outbox.write_welcome_email_message",
        )
        # On PostgreSQL, a new message wakes the relays at once (LISTEN/NOTIFY, notify.py).
        post_save.connect(
            notify.wake_the_relays, sender=OutboxMessage, dispatch_uid="outbox.wake_the_relays"
        )

        # Apps are made ready in the order of INSTALLED_APPS: lessons 02 and 04 have connected
        # their receivers by now.
        for app_name, sender, dispatch_uid in TAKEN_OVER:
            if apps.is_installed(app_name):
                post_save.disconnect(sender=sender, dispatch_uid=dispatch_uid)
