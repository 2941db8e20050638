"""A member's author card, the block shown beside each of their posts."""

from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User


def author_card(member: User) -> SafeString:
    """The card as every reader sees it (Jinja2: it is rendered once per post)."""
    template = engines["jinja2"].get_template("accounts/_author_card.html")
    return mark_safe(template.render({"author": member}))  # noqa: S308 (escaped by the template)
