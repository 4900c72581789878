from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "workshop.demo"
    label = "workshop_demo"
    verbose_name = "Demo page"
