"""Lesson 04: hand slow work to Celery. This folder is the Django app `celery_offload`."""
