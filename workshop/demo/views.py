"""The demo page, and the two small endpoints it calls. The shop's own views do the rest."""

from django import forms
from django.apps import apps
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from shop.forms import SignupForm
from shop.models import Order, PriceChange, Product

from . import inbox, recent_log

# What each step needs: the lesson whose receivers make it happen.
STEPS = {
    "signup": ("welcome_email", "02: the welcome email"),
    "price": ("price_log", "03: the price log"),
    "order": ("celery_offload", "04: the report task"),
    "live": ("channels_push", "05: the live push"),
}


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
            "log": recent_log.lines(),
        }
    )
