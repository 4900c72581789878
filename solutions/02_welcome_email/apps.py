from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class WelcomeEmailConfig(AppConfig):
    name = "welcome_email"
    verbose_name = "Lesson 02: a welcome email"

    def ready(self):
        from . import receivers

        # Model signals accept the sender as an "app_label.ModelName" string: the project's
        # user model, whichever it is, without importing it here.
        post_save.connect(
            receivers.welcome_new_user,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="welcome_email.welcome_new_user",
        )
