from django.apps import AppConfig
from django.db.models.signals import post_save


class SignalsBasicsConfig(AppConfig):
    name = "signals_basics"
    verbose_name = "Lesson 01: signals basics"

    def ready(self):
        # Imported here, not at the top: models can be imported only once apps are loaded.
        from shop.models import Product

        from . import receivers, signals

        # Connected here, when Django loads the app: nothing else imports receivers.py on a
        # server. Django holds receivers by weak reference, so connect module-level functions
        # (their module keeps them alive), not a function defined in here or a lambda.
        # sender=Product: post_save fires for every model; this receiver is about products.
        # dispatch_uid: connect() already ignores the same function twice, but a module that
        # is imported again makes new function objects; the uid keeps one receiver anyway.
        post_save.connect(
            receivers.log_new_product,
            sender=Product,
            dispatch_uid="signals_basics.log_new_product",
        )
        signals.order_placed.connect(
            receivers.log_order_placed,
            dispatch_uid="signals_basics.log_order_placed",
        )
