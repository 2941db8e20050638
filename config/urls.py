from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.static import serve

from config.converters import RowIdConverter

register_converter(RowIdConverter, "id")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
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
