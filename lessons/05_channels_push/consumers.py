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
        # TODO 1: `user = self.scope["user"]` (AuthMiddlewareStack put it there). An anonymous
        # user (not user.is_authenticated) gets no notifications: accept, then close with
        # code=CLOSE_NOT_LOGGED_IN, and return. (Closing before accept() would
        # refuse the handshake, and a browser would see 1006, not your code.)

        # TODO 2: set self.groups = [groups.PRICES, groups.for_user(user.pk)] and join each,
        # before accept(): await self.channel_layer.group_add(group, self.channel_name).
        # Channels leaves every group in self.groups when the socket closes.
        await self.accept()

    # Events from the channel layer: Channels calls the method named after the message type,
    # "price.changed" -> price_changed(). The receivers build messages that are the frames.

    async def price_changed(self, event):
        """A "price.changed" message sent to a group this connection joined."""
        # TODO 3: forward the event to the browser as it is: await self.send_json(event).
        raise NotImplementedError("TODO 3: forward the price.changed event with send_json")

    async def report_sent(self, event):
        """A "report.sent" message sent to this user's group."""
        # TODO 3: the same for "report.sent".
        raise NotImplementedError("TODO 3: forward the report.sent event with send_json")

    # Frames from the client.

    async def receive_json(self, content, **kwargs):
        """A decoded frame: any JSON value, an object, a list, a number, a string..."""
        # TODO 4: answer {"type": "ping"} with {"type": "pong"}; answer anything else with an
        # error frame (self.send_error) that says what went wrong, and keep the socket open.
        raise NotImplementedError("TODO 4: answer ping with pong, anything else with an error")

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """A frame from the client, as it came: text, or bytes for a binary frame."""
        # TODO 5: the base class decodes the JSON and raises on anything else, and that ends
        # the connection. Do it yourself: a binary frame (text_data is None) or a frame longer
        # than MAX_FRAME_CHARS gets an error frame (self.send_error), unread. Then
        # `content = await self.decode_json(text_data)`; on ValueError, or RecursionError
        # (nested too deep), send an error frame and return; else
        # `await self.receive_json(content)`.
        await super().receive(text_data, bytes_data, **kwargs)

    async def send_error(self, explanation):
        await self.send_json({"type": "error", "error": explanation})
