from django.http import HttpRequest

from accounts.models import User


class AuthedRequest(HttpRequest):
    """A request from a logged-in member (views behind ``login_required``)."""

    user: User
