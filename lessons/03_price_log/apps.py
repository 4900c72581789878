from django.apps import AppConfig
from django.db.models.signals import post_init, post_save, pre_save


class PriceLogConfig(AppConfig):
    name = "price_log"
    verbose_name = "Lesson 03: a price log"

    def ready(self):
        from shop.models import Product

        from . import receivers

        # sender=Product matters most for post_init: it fires for every model instance Django
        # builds, and every row a query loads is one.
        post_init.connect(
            receivers.remember_loaded_price,
            sender=Product,
            dispatch_uid="price_log.remember_loaded_price",
        )
        # pre_save sees the old price in the database; post_save runs once the UPDATE has
        # succeeded, so that is where the change is logged and recorded.
        pre_save.connect(
            receivers.note_price_change,
            sender=Product,
            dispatch_uid="price_log.note_price_change",
        )
        post_save.connect(
            receivers.record_price_change,
            sender=Product,
            dispatch_uid="price_log.record_price_change",
        )
        post_save.connect(
            receivers.remember_saved_price,
            sender=Product,
            dispatch_uid="price_log.remember_saved_price",
        )
