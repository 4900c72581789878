"""Lesson 06: a transactional outbox. This folder is the Django app `outbox`."""
