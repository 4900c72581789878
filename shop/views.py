"""The shop's pages. They only change data; the lessons' receivers react to the changes."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .forms import OrderForm, SignupForm
from .models import Order, OrderLine, Product


def home(request):
    return render(request, "shop/home.html", {"products": Product.objects.all()})


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # One transaction: the new user and what receivers write beside it (lesson 06's outbox
        # message for the welcome email) commit together or not at all.
        with transaction.atomic():
            user = form.save()  # post_save(User, created=True): lesson 02's welcome email.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    # The form again, with what is wrong next to each field (400 for a form that was refused).
    status = 400 if form.is_bound else 200
    return render(request, "shop/signup.html", {"form": form}, status=status)


@login_required
@require_POST
def place_order(request):
    form = OrderForm(request.POST)
    if not form.is_valid():  # No product, not a number, or no product with that id.
        return render(request, "shop/order_refused.html", {"form": form}, status=400)
    product = form.cleaned_data["product"]
    with transaction.atomic():
        order = Order.objects.create(owner=request.user)  # lesson 04 queues its report.
        OrderLine.objects.create(order=order, product=product, unit_price=product.price)
    return render(request, "shop/order_placed.html", {"order": order}, status=201)


@login_required
def live(request):
    return render(request, "shop/live.html")
