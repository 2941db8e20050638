"""Where uploaded files live: the media folder, or S3-compatible object storage.

``MEDIA_STORAGE=filesystem`` (the default) keeps Django's default storage in
MEDIA_ROOT, which is right for one machine. ``MEDIA_STORAGE=s3`` sends it to a bucket
through django-storages, so every web node and worker reads and writes the same files
(avatars, and whatever else the code saves through ``default_storage``). The
variables are django-storages' own names, which its documentation explains; boto3
also finds the keys in its usual places (an instance role, ``~/.aws``) when they are
left unset.

Pages then link files on the storage's own host, so its origin joins the images the
Content-Security-Policy allows (``media_origins``).
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
KINDS = ("filesystem", "s3")
ADDRESSING_STYLES = ("auto", "path", "virtual")


@dataclass(frozen=True)
class MediaStorage:
    kind: str
    storage: dict
    # Origins (scheme://host[:port]) that media URLs point at, for img-src.
    origins: list[str] = field(default_factory=list)


def media_storage() -> MediaStorage:
    """Read MEDIA_STORAGE and, for s3, the bucket's variables from the environment."""
    kind = env_str("MEDIA_STORAGE", "filesystem").strip().lower() or "filesystem"
    if kind not in KINDS:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE={kind!r} is not a media storage: use filesystem or s3."
        )
    if kind == "filesystem":
        return MediaStorage(kind, FILESYSTEM)
    bucket = env_str("AWS_STORAGE_BUCKET_NAME").strip()
    if not bucket:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket that holds "
            "the media (see .env.example)."
        )
    access_key = env_str("AWS_ACCESS_KEY_ID").strip()
    secret_key = env_str("AWS_SECRET_ACCESS_KEY").strip()
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (then "
            "boto3 looks for credentials itself)."
        )
    endpoint = env_str("AWS_S3_ENDPOINT_URL").strip().rstrip("/")
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"AWS_S3_ENDPOINT_URL={endpoint!r} must start with https:// or http://."
        )
    style = env_str("AWS_S3_ADDRESSING_STYLE", "auto").strip().lower() or "auto"
    if style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"AWS_S3_ADDRESSING_STYLE={style!r}: use auto, path or virtual."
        )
    region = env_str("AWS_S3_REGION_NAME").strip()
    custom_domain = env_str("AWS_S3_CUSTOM_DOMAIN").strip().strip("/")
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": region or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "custom_domain": custom_domain or None,
        # Objects under this prefix, so one bucket can serve several sites.
        "location": env_str("AWS_LOCATION").strip().strip("/"),
        "addressing_style": None if style == "auto" else style,
        # Signed URLs work with a private bucket; a public-read bucket or a CDN
        # (AWS_S3_CUSTOM_DOMAIN) can switch them off so browsers cache avatars.
        "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
        "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600, minimum=60),
        # django-storages overwrites by default; a new avatar must get a name of its
        # own instead, as on the filesystem, so no cached URL shows the old one.
        "file_overwrite": False,
    }
    return MediaStorage(
        "s3",
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        media_origins(bucket, endpoint, region, custom_domain, style),
    )


def media_origins(
    bucket: str, endpoint: str, region: str, custom_domain: str, style: str
) -> list[str]:
    """Where the bucket's URLs point: the custom domain, else the endpoint (with the
    bucket as a subdomain when it may be addressed that way), else AWS's hosts."""
    if custom_domain:
        return [f"https://{custom_domain.split('/')[0]}"]
    if endpoint:
        parts = urlsplit(endpoint)
        origins = [f"{parts.scheme}://{parts.netloc}"]
        if style != "path":
            origins.append(f"{parts.scheme}://{bucket}.{parts.netloc}")
        return origins
    host = "s3" if style == "path" else f"{bucket}.s3"
    origins = [f"https://{host}.amazonaws.com"]
    if region:
        origins.append(f"https://{host}.{region}.amazonaws.com")
    return origins
