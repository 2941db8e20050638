from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import ratelimit, services
from accounts.cards import author_card
from accounts.forms import EmailChangeForm, ProfileForm, RegistrationForm
from accounts.http import AuthedRequest, client_ip


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("forum:index")
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    user = None
    status = 200
    if form.is_valid():
        try:
            ratelimit.REGISTRATIONS.spend(client_ip(request))
            user = form.save()
        except ratelimit.RateLimited as refusal:
            form.add_error(None, str(refusal))
            status = 429
        except IntegrityError:
            # Two submissions of the same form raced past the uniqueness checks.
            form.add_error(
                None, "That username or email address was just taken. Try another."
            )
    if user is not None:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome to {settings.FORUM_SITE_NAME}, {user.username}!"
        )
        safe = url_has_allowed_host_and_scheme(
            next_url,
            allowed_hosts={request.get_host()},
            require_https=request.is_secure(),
        )
        return redirect(next_url if safe and next_url else "forum:index")
    return render(
        request,
        "registration/register.html",
        {
            "form": form,
            "next": next_url,
            "heading": "Register",
            "button": "Create account",
        },
        status=status,
    )


def _banned_page(request: AuthedRequest, heading: str) -> HttpResponse:
    # The ban notice in base.html says why and until when.
    return render(
        request, "accounts/profile_banned.html", {"heading": heading}, status=403
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedRequest) -> HttpResponse:
    member = request.user
    if member.is_currently_banned:
        return _banned_page(request, "Edit your profile")
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={
            "location": member.location,
            "website": member.website,
            "about": member.about,
            "signature": member.signature,
        },
    )
    if form.is_valid():
        try:
            services.update_profile(member=member, **form.cleaned_data)
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Your profile is saved.")
            return redirect(member)
    return render(
        request,
        "accounts/profile_edit.html",
        {"form": form, "member": member, "card": author_card(member)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: AuthedRequest) -> HttpResponse:
    member = request.user
    if member.is_currently_banned:
        return _banned_page(request, "Change your email address")
    form = EmailChangeForm(
        request.POST if request.method == "POST" else None, member=member
    )
    if form.is_valid():
        try:
            services.change_email(member=member, email=form.cleaned_data["email"])
        except IntegrityError:
            form.add_error(
                "email", "An account with this email address already exists."
            )
        else:
            messages.success(request, "Your email address is changed.")
            return redirect("accounts:profile_edit")
    return render(
        request,
        "accounts/email_change.html",
        {
            "form": form,
            "heading": "Change your email address",
            "button": "Change email",
            "intro": f"Password resets currently go to {member.email}.",
        },
    )
