"""The small shop every lesson runs in: products, orders, and users."""

# Load the Celery app whenever Django starts, so that @shared_task binds to it
# (Celery's "First steps with Django").
from .celery import app as celery_app

__all__ = ("celery_app",)
