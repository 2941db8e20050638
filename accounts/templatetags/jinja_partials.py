"""``{% jinja "name" key=value … %}``: a Jinja2 partial inside a Django template.

The layout and the partials every page shares (navigation, notices, breadcrumb,
pagination) are Jinja2 templates in templates/jinja2/, so the hottest pages render
their whole shell in Jinja2, which is several times faster than Django's engine.
Pages still in Django templates (the forms, crispy-forms) include the same partials
through this tag, a template builtin (config/settings.py): one source for each.

With arguments the partial sees only them, like ``{% include … only %}``; without,
it sees the whole context. Either way it also gets what the Jinja2 backend gives a
template rendered with the request: ``request``, ``csrf_input``, ``csrf_token``.
"""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

from accounts.http import lazy_csrf

register = template.Library()


class JinjaNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, extra: dict) -> None:
        self.name = name
        self.extra = extra

    def render(self, context: template.Context) -> str:
        partial = engines["jinja2"].get_template(self.name.resolve(context))
        request = context.get("request")
        values = (
            {key: value.resolve(context) for key, value in self.extra.items()}
            if self.extra
            else context.flatten()
        )
        if request is not None:
            values.setdefault("request", request)
            for name, value in lazy_csrf(request).items():
                values.setdefault(name, value)
        # The partial escapes what it prints; its output is HTML.
        return mark_safe(partial.template.render(values))  # noqa: S308


@register.tag
def jinja(parser: template.base.Parser, token: template.base.Token) -> JinjaNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError('{% jinja "name" key=value … %}')
    extra = template.base.token_kwargs(bits[2:], parser, support_legacy=False)
    if len(extra) != len(bits) - 2:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes a template name and key=value arguments only"
        )
    return JinjaNode(parser.compile_filter(bits[1]), extra)
