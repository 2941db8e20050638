"""Signed, expiring links that confirm an email address belongs to a member.

A link names the member, the address they had when it was made, and the address it
confirms. It is refused once the member's address has changed since, so an old
link cannot bring back an address they moved away from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

from accounts.models import User

SALT = "accounts.email-confirmation"


class BadLink(Exception):
    """The link is forged, cut short, expired or out of date; the text says which."""


@dataclass(frozen=True)
class Confirmation:
    member: User
    email: str

    @property
    def is_done(self) -> bool:
        return self.member.email_verified and self.member.email == self.email


def make_token(member: User, email: str) -> str:
    """A token for a link confirming ``email`` for ``member`` (TimestampSigner)."""
    payload = {"member": member.pk, "from": member.email, "to": email}
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(token: str) -> Confirmation:
    """The confirmation a token carries; raises BadLink with a reason to show."""
    max_age = timedelta(days=settings.ACCOUNTS_CONFIRMATION_DAYS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as expired:
        raise BadLink(
            "This confirmation link has expired. Log in and ask for a new one."
        ) from expired
    except signing.BadSignature as forged:
        raise BadLink(
            "This confirmation link is not valid: check that it was copied whole."
        ) from forged
    member = User.objects.filter(pk=payload["member"]).first()
    if member is None or member.email != payload["from"]:
        if member is not None and member.email == payload["to"]:
            return Confirmation(member=member, email=member.email)
        raise BadLink(
            "This confirmation link is for an address the account no longer uses."
        )
    return Confirmation(member=member, email=payload["to"])
