"""The demo's running parts, once Django is set up: the database, the worker, the relay, Daphne."""

import signal
from decimal import Decimal

from django.core.management import call_command

from . import recent_log
from .relay import relay_thread


def prepare_database(products):
    call_command("migrate", verbosity=0)
    from shop.models import Product

    recent_log.capture()  # From here on: the seeding below is the first thing in the log.
    for name, price in products:
        Product.objects.create(name=name, price=Decimal(price))


def serve(host, port):
    """Serve the shop with Daphne in this thread, beside a worker and a relay, until Ctrl-C."""
    # daphne.server installs Twisted's asyncio reactor when first imported: import it first.
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from shop.asgi import application

    # A shell may start us with Ctrl-C ignored (a background job); the demo must still stop.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with worker_thread(), relay_thread():
        server = Server(
            application=ASGIStaticFilesHandler(application),  # The admin's CSS, too.
            endpoints=build_endpoint_description_strings(host=host, port=port),
            # Ctrl-C (SIGINT), and on Windows Ctrl-Break (SIGBREAK), stops Twisted's reactor;
            # then the `with` stops the worker and the relay.
            signal_handlers=True,
            verbosity=0,
            ready_callable=lambda: announce(server),
        )
        server.run()


def worker_thread():
    from workshop.worker import running_worker

    return running_worker()


def announce(server):
    if not server.listening_addresses:
        return  # Daphne logs why it could not listen, and stops.
    host, port = server.listening_addresses[0]
    print(f"The demo runs at http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
