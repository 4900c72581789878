"""The WebSocket consumer behind /ws/notifications/: it pushes the shop's events to a browser.

shop/asgi.py routes to it through OriginValidator (no cross-site connections) and
AuthMiddlewareStack (which puts the session's user in self.scope["user"]).

Frames, all JSON:
  server -> client  {"type": "price.changed", "product_id", "product", "old_price", "new_price"}
                    {"type": "report.sent", "order_id"}
                    {"type": "pong"}
                    {"type": "error", "error": "<explanation>"}
  client -> server  {"type": "ping"}
"""

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import groups

# 4000-4999 are the close codes for applications; 4401 echoes HTTP's 401 Unauthorized.
CLOSE_NOT_LOGGED_IN = 4401

# The longest frame the consumer decodes. Its one message, {"type": "ping"}, is 16 characters;
# Daphne lets frames of up to 1 MiB through, and decoding that much JSON stalls the event loop.
MAX_FRAME_CHARS = 4096

# The events from the channel layer, which the consumer forwards without touching the database.
PUSHED_EVENTS = {"price.changed", "report.sent"}


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        # Before every handler, Channels closes stale database connections, as Django does
        # around a request: a hop to the one thread that runs sync code. A pushed event needs
        # no database, and a price change to a thousand sockets would queue a thousand hops
        # there (ahead of the requests' own sync work): call its handler directly.
        handler = getattr(self, get_handler_name(message), None)
        if handler and message["type"] in PUSHED_EVENTS:
            await handler(message)
        else:
            await super().dispatch(message)  # It raises for an event with no handler.

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            # Accept, then close: a browser sees the close code only on an accepted socket,
            # and 4401 tells it to log in rather than to reconnect.
            await self.accept()
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        # Channels leaves every group in self.groups when the socket closes. (It joins them
        # before connect() too, but only groups set on the class: these depend on the user.)
        # Join before accept(), so that no push slips past in between.
        self.groups = [groups.PRICES, groups.for_user(user.pk)]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    # Events from the channel layer: Channels calls the method named after the message type,
    # "price.changed" -> price_changed(). The receivers build messages that are the frames.

    async def price_changed(self, event):
        await self.send_json(event)

    async def report_sent(self, event):
        await self.send_json(event)

    # Frames from the client.

    async def receive_json(self, content, **kwargs):
        # Any JSON value arrives here: a list, a number, a string, not only an object.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error('unknown message: the one message is {"type": "ping"}')

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # The base class raises on a frame it cannot decode, and that ends the connection.
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self.send_error(f"frames must be JSON text of at most {MAX_FRAME_CHARS} chars")
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to decode.
            await self.send_error('frames must be JSON, like {"type": "ping"}')
            return
        await self.receive_json(content, **kwargs)

    async def send_error(self, explanation):
        await self.send_json({"type": "error", "error": explanation})
