from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts import (
    color_modes,
    confirmation,
    consents,
    ratelimit,
    relations,
    services,
)
from accounts.cards import author_card
from accounts.forms import (
    AgreeForm,
    ConversationPrivacyForm,
    EmailChangeForm,
    ProfileForm,
    RegistrationForm,
)
from accounts.http import AuthedRequest, client_ip, redirect_back, safe_next
from accounts.links import url_with_id
from accounts.models import LegalDocument, User


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
        except consents.ConsentChanged as changed:
            form.add_error(None, str(changed))
        except IntegrityError:
            # Two submissions of the same form raced past the uniqueness checks.
            form.add_error(
                None, "That username or email address was just taken. Try another."
            )
    if user is not None:
        login(request, user, backend="accounts.backends.MemberBackend")
        services.send_email_confirmation(
            member=user, email=user.email, site_root=_site_root(request)
        )
        messages.success(
            request,
            f"Welcome to {settings.FORUM_SITE_NAME}, {user.username}! We sent a "
            f"link to {user.email}: follow it to confirm your address.",
        )
        return redirect(safe_next(request, next_url, "forum:index"))
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


def _site_root(request: HttpRequest) -> str:
    """The scheme and host links in mail start with, as the request reached us."""
    return request.build_absolute_uri("/").rstrip("/")


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
            "time_zone": member.time_zone,
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
    status = 200
    if form.is_valid():
        email = form.cleaned_data["email"]
        try:
            ratelimit.CONFIRMATION_MAILS.spend(member.pk)
        except ratelimit.RateLimited as refusal:
            form.add_error(None, str(refusal))
            status = 429
        else:
            # The address changes when its owner follows the link mailed to it.
            services.send_email_confirmation(
                member=member, email=email, site_root=_site_root(request)
            )
            messages.success(
                request,
                f"We sent a confirmation link to {email}. Your address stays "
                f"{member.email} until you follow it.",
            )
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
        status=status,
    )


@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The page a confirmation link opens; its button (a POST) confirms."""
    try:
        found = confirmation.read_token(token)
    except confirmation.BadLink as problem:
        return _message(request, "Confirm your email address", str(problem), 400)
    if request.method == "POST" and not found.is_done:
        try:
            services.change_email(member=found.member, email=found.email)
        except IntegrityError:
            return _message(
                request,
                "Confirm your email address",
                f"Another account uses {found.email} now; the link cannot be used.",
                409,
            )
        messages.success(request, f"Thank you: {found.email} is confirmed.")
        return redirect("forum:index")
    return render(
        request,
        "accounts/email_confirm.html",
        {"confirmation": found},
    )


@login_required
@require_POST
def email_confirm_resend(request: AuthedRequest) -> HttpResponse:
    """Mail the confirmation link again (the notice's button)."""
    member = request.user
    next_url = safe_next(request, request.POST.get("next", ""), "forum:index")
    if member.email_verified:
        messages.info(request, "Your email address is confirmed already.")
        return redirect(next_url)
    try:
        ratelimit.CONFIRMATION_MAILS.spend(member.pk)
    except ratelimit.RateLimited as refusal:
        return _message(request, "Confirmation link", str(refusal), 429)
    services.send_email_confirmation(
        member=member, email=member.email, site_root=_site_root(request)
    )
    messages.success(request, f"We sent a new confirmation link to {member.email}.")
    return redirect(next_url)


def _message(
    request: HttpRequest, heading: str, text: str, status: int
) -> HttpResponse:
    return render(
        request,
        "registration/_message_page.html",
        {"heading": heading, "message": text},
        status=status,
    )


# Following and ignoring other members (buttons on their profile page), and the
# page where a member manages who may write to them and whom they ignore.


def _relation_target(member_id: int) -> User:
    return get_object_or_404(User, pk=member_id, is_active=True)


@login_required
@require_POST
def member_follow(request: AuthedRequest, member_id: int) -> HttpResponse:
    member = _relation_target(member_id)
    if request.POST.get("undo"):
        relations.unfollow_member(follower=request.user, member=member)
        messages.success(request, f"You no longer follow {member.username}.")
    else:
        try:
            relations.follow_member(follower=request.user, member=member)
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"You follow {member.username}.")
    return redirect(member)


@login_required
@require_POST
def member_ignore(request: AuthedRequest, member_id: int) -> HttpResponse:
    # The privacy page lists ignored members with their own "Stop ignoring" button.
    back = (
        reverse("accounts:privacy")
        if request.POST.get("from") == "privacy"
        else url_with_id("member_detail", member_id)
    )
    if request.POST.get("undo"):
        # No lookup of the member: one whose account closed can still be dropped.
        relations.unignore_member(user=request.user, member_id=member_id)
        messages.success(request, "You no longer ignore that member.")
        return redirect(back)
    member = _relation_target(member_id)
    try:
        relations.ignore_member(user=request.user, member=member)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request,
            f"You ignore {member.username}: their posts are folded away for you "
            "and they cannot start conversations with you.",
        )
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def privacy(request: AuthedRequest) -> HttpResponse:
    """Who may start conversations with me, and the members I ignore."""
    member = request.user
    form = ConversationPrivacyForm(
        request.POST if request.method == "POST" else None,
        initial={"conversation_privacy": member.conversation_privacy},
    )
    if form.is_valid():
        relations.set_conversation_privacy(
            member=member, choice=form.cleaned_data["conversation_privacy"]
        )
        messages.success(request, "Your privacy settings are saved.")
        return redirect("accounts:privacy")
    return render(
        request,
        "accounts/privacy.html",
        {"form": form, "ignored": list(relations.ignored_members(member))},
    )


def _legal_document(request: HttpRequest, kind: str) -> HttpResponse:
    document = consents.current_documents().get(kind)
    if document is None:
        raise Http404(f"No {LegalDocument.Kind(kind).label.lower()} is published.")
    return render(request, "accounts/legal_document.html", {"document": document})


@require_http_methods(["GET", "HEAD"])
def terms(request: HttpRequest) -> HttpResponse:
    return _legal_document(request, LegalDocument.Kind.TERMS)


@require_http_methods(["GET", "HEAD"])
def privacy_policy(request: HttpRequest) -> HttpResponse:
    return _legal_document(request, LegalDocument.Kind.PRIVACY)


@login_required
@require_http_methods(["GET", "POST"])
def agree(request: AuthedRequest) -> HttpResponse:
    """The current documents a member has not agreed to yet, and the agree box."""
    current = consents.current_documents()
    versions = consents.shown_versions(list(current.values()))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = AgreeForm(
        request.POST if request.method == "POST" else None,
        initial={"versions": versions, "next": next_url},
    )
    due = consents.documents_due(request.user, current)
    try:
        if not due:
            if request.user.consent_due:  # flagged, then caught up elsewhere
                consents.record_agreement(user=request.user, versions=versions)
            return redirect(safe_next(request, next_url, "forum:index"))
        if request.method == "POST" and form.is_valid():
            consents.record_agreement(
                user=request.user, versions=form.cleaned_data["versions"]
            )
            messages.success(request, "Thank you: you agreed to the current version.")
            return redirect(safe_next(request, next_url, "forum:index"))
    except consents.ConsentChanged as changed:
        messages.warning(request, str(changed))
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        return redirect(reverse("accounts:agree") + query)
    return render(
        request,
        "accounts/agree.html",
        {"form": form, "due": due, "current": current},
    )


@csrf_exempt
@require_POST
def color_mode(request: HttpRequest) -> HttpResponse:
    """Keep the colour theme chosen in the header: on a member's row, and in a
    cookie for this browser (a guest's only record of it)."""
    # A guest's choice only sets a cookie in their own browser, so the toggle asks
    # guests for no CSRF token and every guest gets the same page; a member's
    # choice changes their row and is checked as every other POST is.
    if request.user.is_authenticated:
        return csrf_protect(_save_color_mode)(request)
    return _save_color_mode(request)


def _save_color_mode(request: HttpRequest) -> HttpResponse:
    mode = request.POST.get("mode", "")
    if mode not in color_modes.MODES.values:
        return HttpResponseBadRequest("Choose a colour theme: auto, light or dark.")
    if request.user.is_authenticated:
        color_modes.set_color_mode(member=request.user, mode=mode)
    if request.htmx:
        response = render(
            request,
            "accounts/_color_mode_toggle.html",
            {"mode": mode, "next": request.POST.get("next", "")},
        )
    else:
        response = redirect_back(request, "forum:index")
    response.set_cookie(
        color_modes.COOKIE,
        mode,
        max_age=color_modes.COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
