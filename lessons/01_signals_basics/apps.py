from django.apps import AppConfig
from django.db.models.signals import post_save


class SignalsBasicsConfig(AppConfig):
    name = "signals_basics"
    verbose_name = "Lesson 01: signals basics"

    def ready(self):
        # Imported here, not at the top: models can be imported only once apps are loaded.
        from shop.models import Product

        from . import receivers, signals

        # TODO 2: connect receivers.log_new_product to post_save, for senders that are Product
        # only. Give it a dispatch_uid, so that it stays connected once even when ready() runs
        # again with a freshly imported receivers module.

        # TODO 4: connect receivers.log_order_placed to signals.order_placed (with its own
        # dispatch_uid).
