"""The WebSocket consumer behind /ws/notifications/: it pushes the shop's events to a browser.

shop/asgi.py routes to it through AllowedHostsOriginValidator (no cross-site connections) and
AuthMiddlewareStack (which puts the session's user in self.scope["user"]).

Frames, all JSON:
  server -> client  {"type": "price.changed", "product_id", "product", "old_price", "new_price"}
                    {"type": "report.sent", "order_id"}
                    {"type": "pong"}
                    {"type": "error", "error": "<explanation>"}
  client -> server  {"type": "ping"}
"""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import groups

# 4000-4999 are the close codes for applications; 4401 echoes HTTP's 401 Unauthorized.
CLOSE_NOT_LOGGED_IN = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    subscriptions = ()  # The groups this connection has joined.

    async def connect(self):
        # TODO 1: `user = self.scope["user"]` (AuthMiddlewareStack put it there). An anonymous
        # user (not user.is_authenticated) gets no notifications: accept, then close with
        # code=CLOSE_NOT_LOGGED_IN, and return. (Closing before accept() would
        # refuse the handshake, and a browser would see 1006, not your code.)

        # TODO 2: set self.subscriptions to [groups.PRICES, groups.for_user(user.pk)] and join
        # each group: await self.channel_layer.group_add(group, self.channel_name).
        await self.accept()

    async def disconnect(self, code):
        """The socket is closed."""
        # TODO 4: leave every group in self.subscriptions (channel_layer.group_discard), or
        # the layer keeps sending to a channel that nobody reads.

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

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # TODO 5: the base class decodes the JSON and raises on anything else (text that is not
        # JSON, a binary frame), and that ends the connection. Decode it yourself:
        # `content = await self.decode_json(text_data or "")`; on ValueError send an error
        # frame (self.send_error) and return; else pass content on to self.receive_json().
        await super().receive(text_data, bytes_data, **kwargs)

    async def receive_json(self, content, **kwargs):
        """A JSON frame from the client."""
        # TODO 5: answer {"type": "ping"} with {"type": "pong"}; answer anything else with an
        # error frame (self.send_error) that says what went wrong, and keep the socket open.
        raise NotImplementedError("TODO 5: answer ping with pong, anything else with an error")

    async def send_error(self, explanation):
        await self.send_json({"type": "error", "error": explanation})
