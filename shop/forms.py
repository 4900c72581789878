from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from .models import Product


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="We send a welcome message here.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()  # The project's user model, whichever it is.
        fields = ["username", "email"]


class OrderForm(forms.Form):
    """The home page's Order button: the product's id, checked to be a product that exists."""

    product = forms.ModelChoiceField(
        queryset=Product.objects.all(),
        error_messages={"invalid_choice": "There is no such product (any more)."},
    )
