from django.apps import AppConfig


class ChannelsPushConfig(AppConfig):
    name = "channels_push"
    verbose_name = "Lesson 05: push events with Channels"

    def ready(self):
        # Imported here, not at the top: models can be imported only once apps are loaded.
        from django.db.models.signals import post_save

        from shop.models import PriceChange
        from shop.signals import order_report_sent

        from . import receivers

        post_save.connect(
            receivers.announce_price_change,
            sender=PriceChange,
            dispatch_uid="channels_push.announce_price_change",
        )
        order_report_sent.connect(
            receivers.announce_report_sent,
            dispatch_uid="channels_push.announce_report_sent",
        )
