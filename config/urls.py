from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.static import serve

from config.converters import RowIdConverter
from forum.views import members

register_converter(RowIdConverter, "id")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    # Outside both namespaces: accounts links profiles (User.get_absolute_url) and
    # the renderer links @mentions by this name without knowing the forum draws it.
    path("members/<str:key>/", members.member_detail, name="member_detail"),
    path("", include("forum.urls")),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    # Uploaded avatars; behind a real proxy the operator serves /media/ directly.
    urlpatterns += [
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
