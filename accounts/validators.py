"""Naming and profile-text rules shared by the registration, profile and admin forms.

A username is shown next to interface text on every page, so it must be readable for
what it is: visible characters only, at least one letter or digit, not a name the
site keeps for itself, and not one that reads like a member's (the TR39 skeleton,
``accounts/skeleton.py``).
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError

import markup
from accounts.models import User
from accounts.skeleton import is_ignorable, lookalike_keys, username_key
from markup.characters import describe

# Control, format (bidi controls, zero-width joiners), surrogate, private-use and
# unassigned characters, and every kind of space.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# Separators members put between words; "ad.min" and "admin_" are still "admin".
_SEPARATORS = str.maketrans("", "", "._-+@")


def _invisible(character: str) -> bool:
    return unicodedata.category(character) in _INVISIBLE_CATEGORIES or is_ignorable(
        character
    )


def _reserved_keys() -> set[str]:
    names = settings.FORUM_RESERVED_USERNAMES
    return {username_key(name).translate(_SEPARATORS) for name in names}


def validate_username(username: str, *, member: User | None = None) -> None:
    """Refuse a name (NFKC-normalised, as Django's username field leaves it) that
    breaks a rule or reads like another member's; ``member`` is the one renamed."""
    hidden = next((ch for ch in username if _invisible(ch)), None)
    if hidden is not None:
        raise ValidationError(
            "Usernames cannot contain invisible, control or text-direction "
            f"characters; this one has {describe(hidden)}.",
            code="invisible",
        )
    if username.isdigit():
        # Profiles live at /members/<id>/ and /members/<name>/: a name of digits
        # alone would be read as somebody else's id.
        raise ValidationError("A username needs at least one letter.", code="digits")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in username):
        raise ValidationError(
            "A username needs at least one letter or digit.", code="no_letters"
        )
    keys = lookalike_keys(username)
    if {key.translate(_SEPARATORS) for key in keys} & _reserved_keys():
        raise ValidationError(
            "That username is reserved for the site. Please choose another.",
            code="reserved",
        )
    taken = User.objects.filter(username_skeleton__in=keys)
    if member is not None and member.pk is not None:
        taken = taken.exclude(pk=member.pk)
    if taken.exists():
        raise ValidationError(
            "That username is taken or reads too much like an existing member's. "
            "Please choose another.",
            code="lookalike",
        )


def validate_signature_images(signature: str) -> None:
    """Signatures show under every post: they hold only a few images."""
    limit = settings.FORUM_SIGNATURE_MAX_IMAGES
    images = markup.image_count(signature)
    if images > limit:
        raise ValidationError(
            f"Signatures may have at most {limit} image(s); this one has {images}.",
            code="signature_images",
        )
