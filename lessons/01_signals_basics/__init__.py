"""Lesson 01: signals basics. This folder is the Django app `signals_basics`."""
