from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.forms import RegistrationForm
from accounts.models import User
from forum.models import Post


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("forum:index")
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if form.is_valid():
        user = form.save()
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
    )


def member_detail(request: HttpRequest, key: str) -> HttpResponse:
    lookup = (
        {"pk": int(key)}
        if key.isdigit() and len(key) <= 18
        else {"username__iexact": key}
    )
    member = get_object_or_404(
        User.objects.select_related("tier", "pinned_tier"), is_active=True, **lookup
    )
    recent_posts = (
        Post.objects.filter(author=member, is_deleted=False, thread__is_deleted=False)
        .select_related("thread")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "accounts/member_detail.html",
        {"member": member, "recent_posts": recent_posts},
    )
