"""The demo page at /, then the whole shop as usual (its "home" is the demo page)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.dashboard, name="demo"),
    path("demo/price/", views.change_price, name="demo_change_price"),
    path("demo/state/", views.state, name="demo_state"),
    path("demo/broker/", views.broker, name="demo_broker"),
    path("", include("shop.urls")),
]
