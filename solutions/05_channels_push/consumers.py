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
        user = self.scope["user"]
        if not user.is_authenticated:
            # Accept, then close: a browser sees the close code only on an accepted socket,
            # and 4401 tells it to log in rather than to reconnect.
            await self.accept()
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        self.subscriptions = [groups.PRICES, groups.for_user(user.pk)]
        for group in self.subscriptions:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in self.subscriptions:
            await self.channel_layer.group_discard(group, self.channel_name)

    # Events from the channel layer: Channels calls the method named after the message type,
    # "price.changed" -> price_changed(). The receivers build messages that are the frames.

    async def price_changed(self, event):
        await self.send_json(event)

    async def report_sent(self, event):
        await self.send_json(event)

    # Frames from the client.

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # The base class raises on a frame that is not JSON, and that ends the connection.
        try:
            content = await self.decode_json(text_data or "")
        except ValueError:
            await self.send_error('frames must be JSON text, like {"type": "ping"}')
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error('unknown message: the one message is {"type": "ping"}')

    async def send_error(self, explanation):
        await self.send_json({"type": "error", "error": explanation})
