"""Lesson 03: a price log. This folder is the Django app `price_log`."""
