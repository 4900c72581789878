from django.apps import AppConfig


class CeleryOffloadConfig(AppConfig):
    name = "celery_offload"
    verbose_name = "Lesson 04: hand slow work to Celery"

    def ready(self):
        # Imported here, not at the top: models can be imported only once apps are loaded.
        from django.db.models.signals import post_save

        from shop.models import Order

        from . import receivers

        post_save.connect(
            receivers.queue_order_report,
            sender=Order,
            dispatch_uid="celery_offload.queue_order_report",
        )
