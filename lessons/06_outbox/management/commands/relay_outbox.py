"""`python manage.py relay_outbox`. Django finds commands here; this one is in command.py."""

from outbox.command import Command

__all__ = ["Command"]
