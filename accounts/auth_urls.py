"""Django's login, logout and password views, with this forum's headings.

Unnamespaced, because Django's own views reverse these names ("password_reset_done", …).
"""

from django.contrib.auth import views as auth
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path

from accounts import ratelimit, tasks
from accounts.http import client_ip


class PasswordResetView(auth.PasswordResetView):
    """Django's form; the mail is queued for the worker, for unknown addresses too."""

    def form_valid(self, form) -> HttpResponse:
        email = form.cleaned_data["email"]
        try:
            ratelimit.RESET_MAILS_PER_ADDRESS.spend(client_ip(self.request))
            ratelimit.RESET_MAILS_PER_EMAIL.spend(email.strip().lower())
        except ratelimit.RateLimited as refusal:
            form.add_error(None, str(refusal))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        # Every valid request queues the same task, which looks the address up in
        # the worker: the answer takes as long whether or not a member has it.
        tasks.send_password_reset_mail.enqueue(
            email=email,
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth.PasswordResetConfirmView):
    """Django's view; a new password also lifts a login lockout on the account."""

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever locked the account out by guessing cannot keep its owner out.
        ratelimit.unlock_account(form.user.get_username())
        return response


def _form(heading: str, button: str, intro: str = "") -> dict:
    return {"extra_context": {"heading": heading, "button": button, "intro": intro}}


def _message(
    heading: str, message: str, link_url: str = "", link_text: str = ""
) -> dict:
    return {
        "extra_context": {
            "heading": heading,
            "message": message,
            "link_url": link_url,
            "link_text": link_text,
        }
    }


urlpatterns = [
    path(
        "login/",
        auth.LoginView.as_view(
            redirect_authenticated_user=True, **_form("Log in", "Log in")
        ),
        name="login",
    ),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth.PasswordChangeView.as_view(
            **_form("Change your password", "Change password")
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth.PasswordChangeDoneView.as_view(
            **_message(
                "Password changed",
                "Your new password is in use.",
                "/",
                "Back to the forum",
            )
        ),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        PasswordResetView.as_view(
            **_form(
                "Reset your password",
                "Email me a reset link",
                "Enter the email address of your account and we will send you a link.",
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth.PasswordResetDoneView.as_view(
            **_message(
                "Check your email",
                "If an account uses that address, a reset link is on its way.",
            )
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(
            **_form("Choose a new password", "Set password")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth.PasswordResetCompleteView.as_view(
            **_message(
                "Password set",
                "You can log in with it now.",
                "/accounts/login/",
                "Log in",
            )
        ),
        name="password_reset_complete",
    ),
]
