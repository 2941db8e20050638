"""Tags for what search engines and feed readers read in a page's head."""

from django import template
from django.http import HttpRequest

from forum import discovery

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context, path: str, page: int = 1) -> str:
    """The page's one address, absolute: page 1 is the bare path, others ?page=n."""
    request: HttpRequest = context["request"]
    return request.build_absolute_uri(path if page <= 1 else f"{path}?page={page}")


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, path: str) -> str:
    return context["request"].build_absolute_uri(path)


@register.filter
def plain_text(html: str | None, limit: int = discovery.DESCRIPTION_CHARS) -> str:
    """A post's words without markup or quotes, for a description (autoescaped)."""
    return discovery.plain_text(html, limit)
