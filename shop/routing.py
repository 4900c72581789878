"""WebSocket routes. The notifications consumer is lesson 05's, so it is routed when that
lesson is loaded."""

from django.apps import apps
from django.urls import path

websocket_urlpatterns = []

if apps.is_installed("channels_push"):
    from channels_push.consumers import NotificationConsumer

    websocket_urlpatterns.append(path("ws/notifications/", NotificationConsumer.as_asgi()))
