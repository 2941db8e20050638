"""Mail that answers a request, sent by the background worker (django-tasks).

The request only queues the task, so how long it takes says nothing about whether
an address belongs to a member; the worker does the lookups and talks to the mail
server. Arguments are plain JSON values: the queue stores them in PostgreSQL.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django_tasks import task


@task()
def send_password_reset_mail(*, email: str, domain: str, use_https: bool) -> int:
    """Mail a reset link to every active member with this address; nobody is fine."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    members = list(form.get_users(email))
    form.save(
        domain_override=domain,
        use_https=use_https,
        # Without django.contrib.sites Django would name the site by its host.
        extra_email_context={"site_name": settings.FORUM_SITE_NAME},
    )
    return len(members)


@task()
def send_confirmation_mail(*, email: str, username: str, link: str) -> None:
    """Mail a member the link that confirms ``email`` is theirs."""
    context = {
        "username": username,
        "email": email,
        "link": link,
        "site_name": settings.FORUM_SITE_NAME,
        "days": settings.ACCOUNTS_CONFIRMATION_DAYS,
    }
    subject = render_to_string("accounts/email_confirm_subject.txt", context)
    body = render_to_string("accounts/email_confirm_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [email])
