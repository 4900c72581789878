"""Lesson 02: a welcome email. This folder is the Django app `welcome_email`."""
