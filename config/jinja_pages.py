"""What the page layout and the Jinja2 pages need that Django templates have as tags:
the reader's time zone, ``{% querystring %}``, the htmx script, ``date``, the head's
canonical address, crispy-forms' form and a Django template inside a Jinja2 page.
"""

from django.template import Context, engines
from django.template.defaultfilters import date
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_htmx.jinja import htmx_script

from forum.templatetags import discovery_tags, forum_tags


def querystring(request, **changes) -> str:
    """``{% querystring page=3 %}``: this request's query with ``changes`` made."""
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = value
    return f"?{query.urlencode()}"


def canonical_url(request, path: str, page: int = 1) -> str:
    return discovery_tags.canonical_url({"request": request}, path, page)


def django_include(name: str, **context) -> SafeString:
    """A Django template rendered with ``context`` alone, like ``{% include … only
    %}``: pass ``csrf_token`` for a form. No context processors run again."""
    template = engines["django"].get_template(name).template
    return mark_safe(template.render(Context(context)))  # noqa: S308 (escaped by it)


GLOBALS = {
    "current_time_zone": timezone.get_current_timezone_name,
    "querystring": querystring,
    "htmx_script": htmx_script,
    "canonical_url": canonical_url,
    "django_include": django_include,
    # The editor's form, rendered by crispy-forms (a blank one once per process).
    "crispy_form": forum_tags.crispy_form,
}
FILTERS = {"date": date, "plain_text": discovery_tags.plain_text}
