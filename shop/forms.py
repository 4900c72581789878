from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="We send a welcome message here.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()  # The project's user model, whichever it is.
        fields = ["username", "email"]
