from django.conf import settings
from django.http import HttpRequest

from accounts.http import lazy_csrf


def site(request: HttpRequest) -> dict[str, str]:
    """The site's name (FORUM_SITE_NAME) for the navbar and page titles."""
    # Not "site_name": Django's login and logout views put the host name under it.
    return {"forum_site_name": settings.FORUM_SITE_NAME}


def page_csrf(request: HttpRequest) -> dict:
    """Jinja2 pages' ``csrf_input`` and ``csrf_token`` masked once for the page,
    in place of the backend's, which mask the token again at every form."""
    return lazy_csrf(request)
