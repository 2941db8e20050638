from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest

from accounts.models import User
from privacy import erasure


class AccountDeleteForm(forms.Form):
    """Re-authentication and the choice about posts, before an account is deleted."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    posts = forms.ChoiceField(
        label="Your posts",
        choices=[
            ("keep", 'Keep them, under the name "Deleted member"'),
            ("remove", "Remove them (and the threads I started)"),
        ],
        initial="keep",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, request: HttpRequest, member: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.member = member
        if not erasure.may_remove_posts():
            del self.fields["posts"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # Through the login backends: a wrong password counts as a failed login
        # (django-axes), so this form is no way round the login lockout.
        checked = authenticate(
            self.request, username=self.member.get_username(), password=password
        )
        if checked is None or checked.pk != self.member.pk:
            raise forms.ValidationError("That is not your password.")
        return password

    @property
    def remove_posts(self) -> bool:
        return self.cleaned_data.get("posts") == "remove"
