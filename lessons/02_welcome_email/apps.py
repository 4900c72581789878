from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class WelcomeEmailConfig(AppConfig):
    name = "welcome_email"
    verbose_name = "Lesson 02: a welcome email"

    def ready(self):
        from . import receivers

        # TODO 3: connect receivers.welcome_new_user to post_save for the user model only,
        # with a dispatch_uid. Name the model by settings.AUTH_USER_MODEL ("auth.User" here)
        # rather than importing User: a project may swap in its own user model.
