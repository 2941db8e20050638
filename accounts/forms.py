from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User
from accounts.services import register_member


class RegistrationForm(UserCreationForm):
    email = forms.EmailField(
        help_text="Used for password resets; never shown to other members."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists."
            )
        return email

    def save(self, commit: bool = True) -> User:
        return register_member(
            username=self.cleaned_data["username"],
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password1"],
        )
