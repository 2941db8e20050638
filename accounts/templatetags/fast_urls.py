"""``{% url %}`` for every Django template, from patterns reversed once.

A page shell names a couple of dozen URLs (navigation, the thread's tools, the
reply box); Django's tag reverses each one on every render. This tag, a template
builtin (config/settings.py), reads them through ``accounts.links.fast_reverse``
and otherwise behaves as Django's: ``as`` variables, escaping, errors. Keyword
arguments and the admin's namespace (which follows the current admin site) take
Django's own way.
"""

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from accounts.links import fast_reverse

register = template.Library()


class FastURLNode(defaulttags.URLNode):
    def render(self, context) -> str:
        name = self.view_name.resolve(context)
        if self.kwargs or not isinstance(name, str) or name.startswith("admin:"):
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        try:
            url = fast_reverse(name, args)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token) -> FastURLNode:
    node = defaulttags.url(parser, token)
    return FastURLNode(node.view_name, node.args, node.kwargs, node.asvar)
