from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.views.static import serve

from config.converters import RowIdConverter
from forum.views import members
from imageproxy.views import image_proxy

register_converter(RowIdConverter, "id")

# A 503 page with Retry-After while the database is unreachable (config/health.py).
handler500 = "config.health.server_error"

# The back office carries the site's name too, read when an admin page renders.
_site_name = lazy(lambda: settings.FORUM_SITE_NAME, str)()
admin.site.site_header = _site_name
admin.site.site_title = format_lazy("{} admin", _site_name)
admin.site.index_title = format_lazy("{} back office", _site_name)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    # Outside both namespaces: accounts links profiles (User.get_absolute_url) and
    # the renderer links @mentions by this name without knowing the forum draws it.
    path("members/<str:key>/", members.member_detail, name="member_detail"),
    # [IMG] pictures through the forum (imageproxy/); the renderer writes these.
    path("img/<str:signature>/<str:payload>/", image_proxy, name="image_proxy"),
    path("conversations/", include("conversations.urls")),
    path("", include("privacy.urls")),
    path("", include("forum.urls")),
]

if settings.MEDIA_STORAGE == "filesystem" and (settings.DEBUG or settings.SERVE_MEDIA):
    # Uploaded avatars; behind a real proxy the operator serves /media/ directly.
    # With MEDIA_STORAGE=s3 their URLs point at the bucket instead.
    urlpatterns += [
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
