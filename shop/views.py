"""The shop's pages. They only change data; the lessons' receivers react to the changes."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .forms import SignupForm
from .models import Order, OrderLine, Product


def home(request):
    return render(request, "shop/home.html", {"products": Product.objects.all()})


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()  # post_save(User, created=True): lesson 02's welcome email.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "shop/signup.html", {"form": form})


@login_required
@require_POST
def place_order(request):
    product = get_object_or_404(Product, pk=request.POST.get("product"))
    with transaction.atomic():
        order = Order.objects.create(owner=request.user)  # lesson 04 queues its report.
        OrderLine.objects.create(order=order, product=product, unit_price=product.price)
    return render(request, "shop/order_placed.html", {"order": order}, status=201)


@login_required
def live(request):
    return render(request, "shop/live.html")
