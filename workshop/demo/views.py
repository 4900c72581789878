"""The demo page, and the small endpoints it calls. The shop's own views do the rest."""

from functools import wraps

from django import forms
from django.apps import apps
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from shop.forms import SignupForm
from shop.models import Order, OutboxMessage, PriceChange, Product

from . import inbox, recent_log, relay

# What each step needs: the lesson whose receivers make it happen.
STEPS = {
    "signup": ("welcome_email", "02: the welcome email"),
    "price": ("price_log", "03: the price log"),
    "order": ("celery_offload", "04: the report task"),
    "live": ("channels_push", "05: the live push"),
    "outbox": ("outbox", "06: the outbox"),
}
LOOPBACK = {"127.0.0.1", "::1"}


def local_or_signed_in(view):
    """The demo's controls change prices and stop the broker: for this machine or a user only.

    The demo serves on loopback; the same shop deployed behind a proxy must not let anyone
    who can reach it change prices or read the inbox.
    """

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.META.get("REMOTE_ADDR") in LOOPBACK or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        return HttpResponseForbidden("The demo's controls answer on loopback or when signed in.")

    return guarded


class PriceForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.all())
    price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0)


def dashboard(request):
    missing = {step: title for step, (app, title) in STEPS.items() if not apps.is_installed(app)}
    return render(
        request,
        "demo/dashboard.html",
        {"products": Product.objects.all(), "signup_form": SignupForm(), "missing": missing},
    )


@local_or_signed_in
@require_POST
def change_price(request):
    """Save a product with a new price, as an admin would: lesson 03 and 05 react."""
    form = PriceForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    product = form.cleaned_data["product"]
    product.price = form.cleaned_data["price"]
    product.save()
    return HttpResponse(status=204)


@local_or_signed_in
@require_POST
def broker(request):
    """The switch: take the broker down (down=1) or bring it back (down=0)."""
    if not relay.installed():
        return JsonResponse({"error": "lesson 06 (the outbox) is not loaded"}, status=409)
    relay.take_broker_down(request.POST.get("down") == "1")
    return HttpResponse(status=204)


def outbox_state():
    """The outbox as the relay and the worker leave it: counts and the last few messages."""
    if not relay.installed():
        return None
    messages = OutboxMessage.objects.order_by("-pk")[:8]
    return {
        "broker_down": relay.broker_is_down(),
        "pending": OutboxMessage.objects.filter(sent_at=None).count(),
        "sent": OutboxMessage.objects.exclude(sent_at=None).count(),
        "messages": [
            {
                "id": message.pk,
                "kind": message.kind,
                "payload": message.payload,
                "attempts": message.attempts,
                "status": "handled"
                if message.handled_at
                else "sent"
                if message.sent_at
                else "pending",
                "next_attempt_at": message.next_attempt_at.strftime("%H:%M:%S"),
                "last_error": message.last_error,
            }
            for message in messages
        ],
    }


@local_or_signed_in
def state(request):
    """What changed since the page loaded: polled by the page once a second."""
    orders = Order.objects.filter(owner_id=request.user.pk).prefetch_related("lines")[:10]
    return JsonResponse(
        {
            "inbox": inbox.messages(),
            "price_log": [
                {
                    "product": change.product.name,
                    "old_price": str(change.old_price),
                    "new_price": str(change.new_price),
                    "changed_at": change.changed_at.strftime("%H:%M:%S"),
                }
                for change in PriceChange.objects.select_related("product")[:10]
            ],
            "products": [
                {"id": product.pk, "name": product.name, "price": str(product.price)}
                for product in Product.objects.all()
            ],
            "orders": [
                {
                    "id": order.pk,
                    "total": str(order.total),
                    "report_sent_at": order.report_sent_at
                    and order.report_sent_at.strftime("%H:%M:%S"),
                }
                for order in orders
            ],
            "outbox": outbox_state(),
            "log": recent_log.lines(),
        }
    )
