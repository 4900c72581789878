"""The shop's last log lines (the `shop.*` loggers: `shop.prices`, `shop.events`, ...)."""

import logging
from collections import deque

SHOWN = 30


class RecentRecords(logging.Handler):
    """Keeps the last few formatted records, for the page to show."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.lines = deque(maxlen=SHOWN)
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))

    def filter(self, record):
        return record.name == "shop" or record.name.startswith("shop.")

    def emit(self, record):
        self.lines.appendleft(self.format(record))


recent = RecentRecords()


def capture():
    # On the root logger, which the shop's LOGGING leaves alone: Django configures logging
    # again when the Celery worker starts, and that resets the "shop" logger's handlers.
    logging.getLogger().addHandler(recent)


def lines():
    return list(recent.lines)
