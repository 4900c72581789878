"""Lesson 05: push events with Channels. This folder is the Django app `channels_push`."""
