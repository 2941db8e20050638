from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """The site's name (FORUM_SITE_NAME) for the navbar and page titles."""
    # Not "site_name": Django's login and logout views put the host name under it.
    return {"forum_site_name": settings.FORUM_SITE_NAME}
