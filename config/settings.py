"""Colloquy settings, read from the environment with development defaults.

Every variable is listed in ``.env.example``. DEBUG is off unless DJANGO_DEBUG=True;
with DATABASE_URL unset the project starts its own embedded PostgreSQL.
"""

import os
from datetime import timedelta
from email.utils import formataddr
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.embedded_db import database_url
from config.env import env_bool, env_int, env_list, env_str
from config.logs import logging_config
from config.media_storage import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # No fallback: a public key would let anyone forge sessions and reset links.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set; with DJANGO_DEBUG off it must be a long random "
            "string (see .env.example)."
        )
    SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789abcdef"  # noqa: S105 (DEBUG only)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # django.contrib.admin with a site that reads ids in its URLs as ASCII digits.
    "config.admin_site.ColloquyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Its sitemap.xml templates (forum/sitemaps.py); it has no models.
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "accounts",
    "forum",
    "conversations",
    "privacy",
    "ops",
]
# Development-only apps: the bench data generator can TRUNCATE every forum table.
# On with DEBUG by default; the test run and `make bench` switch it on; the
# production image has no bench/ folder at all.
if env_bool("COLLOQUY_DEV_TOOLS", DEBUG):
    INSTALLED_APPS += ["bench.generator"]

MIDDLEWARE = [
    # First: a request id on every log line, one log line per request (config/logs.py).
    "config.logs.RequestLogMiddleware",
    # /healthz, /readyz and /metrics answer before the HTTPS redirect, the host
    # check, sessions and CSRF (config/health.py, config/metrics.py).
    "config.health.HealthMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LastSeenMiddleware",
    # After the user: dates in the member's own zone (accounts/timezones.py).
    "accounts.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view or CsrfViewMiddleware reads the body; after the session and
    # user, so the 413 page shows the member's own navigation.
    "config.uploads.RequestSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the user and htmx: a member behind a new terms or privacy version is
    # sent to agree to it, read from the user row (accounts/consents.py).
    "accounts.middleware.ConsentMiddleware",
    # Last: turns a login refused by django-axes into the login form with a notice.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Both engines' pages see the same: the Jinja2 pages share the layout's partials.
_CONTEXT_PROCESSORS = [
    "config.context_processors.site",
    "accounts.context_processors.color_mode",
    "forum.context_processors.moderation",
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": _CONTEXT_PROCESSORS,
            # {% url %} from patterns reversed once (accounts/links.py).
            "builtins": [
                "forum.templatetags.forum_tags",
                "accounts.templatetags.fast_urls",
                # {% jinja %}: the layout's partials, shared with Jinja2 pages.
                "accounts.templatetags.jinja_partials",
            ],
        },
    },
    {
        # The partials a page repeats many times (posts, author cards), in
        # templates/jinja2/: see config/jinja2.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "config.jinja2.environment",
            "context_processors": [
                *_CONTEXT_PROCESSORS,
                # csrf_input and csrf_token masked once per page, in place of the
                # backend's, which mask the token again at every form.
                "accounts.http.lazy_csrf",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    _database_url = os.environ["DATABASE_URL"]
else:
    _database_url = database_url(
        Path(os.environ.get("COLLOQUY_PGDATA", BASE_DIR / ".pgdata")),
        ephemeral=env_bool("COLLOQUY_PGDATA_EPHEMERAL", False),
    )
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # Server-side binding lets psycopg prepare the statements a connection runs
    # again and again (every page view runs the same few), so PostgreSQL plans them
    # once per connection instead of once per request. Set the variable to False
    # behind a connection pooler in transaction mode.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
# PostgreSQL compiles a query to machine code (JIT) when its estimated cost is high,
# which a page's queries reach on a big forum (the unread markers, search) although
# they read a handful of rows: the compile took 20-25 ms where the query ran in 1.
# Pages never run the long analytic queries JIT is for.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
# A server that is down answers at once; one the network lost never does. Give up
# after this many seconds, so the page says "back in a moment" (config/health.py).
_db_options.setdefault("connect_timeout", 5)
if env_str("DATABASE_REPLICA_URL").strip():
    # A streaming standby that serves page reads (config/db_router.py): members
    # who just wrote, transactions, writes, migrations and the worker use "default".
    _replica = dj_database_url.parse(
        env_str("DATABASE_REPLICA_URL").strip(),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    _replica["OPTIONS"] = {**_db_options, **_replica.get("OPTIONS", {})}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
    # Before the session and the user are read, so their reads are routed too.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "config.db_router.ReplicaMiddleware",
    )
# Seconds a member reads from the primary after a request of theirs wrote, so
# they see what they wrote however far the replica lags (a signed cookie).
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One Redis for every node: the cache, sessions, rate limits, login failures and
# the thread view-count buffer (forum/viewcounts.py). Empty: each process alone.
REDIS_URL = env_str("REDIS_URL").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        },
        # Who's online (accounts/online.py): guests' minute counters, shared by
        # every process; a prefix of their own beside the rendered blocks.
        "online": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "online",
        },
    }
    # Sessions read from Redis, written through to the database: no session query
    # on a page view. A per-process memory cache could keep a logged-out session
    # alive in another worker, so without Redis sessions stay in the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Each post on a page is its own cached block: room for a few hundred pages.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
        # Who's online: one small key per guest, kept apart so a crowd of guests
        # (or crawlers) never pushes rendered posts out of the cache above.
        "online": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "online",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        },
    }
    # Django's database sessions, looked up with SQL written once (a session
    # query on every logged-in page view; accounts/session_store.py).
    SESSION_ENGINE = "accounts.session_store"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out account or address before any password is checked.
    "accounts.ratelimit.LoginLockoutBackend",
    # Django's ModelBackend with the session's member read from SQL compiled once.
    "accounts.backends.MemberBackend",
    # Only for sessions made before MemberBackend was: it never checks a password.
    "django.contrib.auth.backends.ModelBackend",
]
_validation = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_validation}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_validation}.MinimumLengthValidator"},
    {"NAME": f"{_validation}.CommonPasswordValidator"},
    {"NAME": f"{_validation}.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "forum:index"
LOGOUT_REDIRECT_URL = "forum:index"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The interface is English only; without translation machinery every value a
# template prints skips a language lookup.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
# Uploads in MEDIA_ROOT, or in S3-compatible storage with MEDIA_STORAGE=s3
# (config/media_storage.py reads the bucket's variables).
_media = media_storage()
MEDIA_STORAGE = _media.kind
STORAGES = {
    "default": _media.storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development whitenoise serves straight from the finders, no collectstatic needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The site's name in the navbar, page titles, mail and the admin.
FORUM_SITE_NAME = env_str("FORUM_SITE_NAME", "Colloquy").strip() or "Colloquy"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", formataddr((FORUM_SITE_NAME, "noreply@localhost"))
)

# With DEBUG off the site assumes HTTPS (at a TLS proxy or in front of gunicorn);
# a plain-HTTP setup switches each of these off explicitly.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A year, what browsers' preload lists ask for. Both flags are on too: a forum on its
# own host name (forum.example.org) only covers its own subdomains, and preloading
# takes a submission for the registrable domain, which "preload" alone never makes.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a proxy every connection comes from the proxy: the scheme and the client's
# address come from the headers it sets (accounts.http.client_ip), never otherwise.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
# How many proxies append to X-Forwarded-For (a CDN in front of nginx makes two): the
# client's address is that many entries from the right; entries further left are
# whatever the client sent.
PROXY_HOPS = env_int("PROXY_HOPS", 1, minimum=1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

FORUM_POSTS_PER_PAGE = 20
FORUM_THREADS_PER_PAGE = 25
# Names members cannot register or be renamed to, nor anything that reads like one
# ("аdmin" in Cyrillic, "ad.min"): see accounts/validators.py.
FORUM_RESERVED_USERNAMES = [
    "admin",
    "administrator",
    "moderator",
    "mod",
    "staff",
    "system",
    "root",
    "support",
    "help",
    "official",
    "owner",
    "sysop",
    "webmaster",
    "postmaster",
    "hostmaster",
    "abuse",
    "security",
    "noreply",
    "anonymous",
    "guest",
    "everyone",
    "nobody",
    "null",
    FORUM_SITE_NAME,
]
# Images a signature may hold: it is shown under every post its author writes.
FORUM_SIGNATURE_MAX_IMAGES = 1
# The image proxy (imageproxy/): [IMG] pictures are fetched once by the forum, kept
# in the default storage under FORUM_IMAGE_PROXY_FOLDER and served from /img/, so
# readers' browsers never contact outside hosts (img-src stays 'self'). Off, an
# [IMG] shows as a link. Timeouts are seconds; the read timeout bounds the whole
# download. MARKUP_IMAGE_URL is the renderer's hook that writes the signed address.
FORUM_IMAGE_PROXY = env_bool("FORUM_IMAGE_PROXY", True)
FORUM_IMAGE_PROXY_MAX_BYTES = env_int(
    "FORUM_IMAGE_PROXY_MAX_BYTES", 5 * 1024 * 1024, minimum=1
)
FORUM_IMAGE_PROXY_CONNECT_TIMEOUT = env_int(
    "FORUM_IMAGE_PROXY_CONNECT_TIMEOUT", 5, minimum=1
)
FORUM_IMAGE_PROXY_READ_TIMEOUT = env_int(
    "FORUM_IMAGE_PROXY_READ_TIMEOUT", 15, minimum=1
)
FORUM_IMAGE_PROXY_FOLDER = (
    env_str("FORUM_IMAGE_PROXY_FOLDER", "image-proxy").strip("/ ") or "image-proxy"
)
# Addresses (or networks) fetched although they are not public. Not read from the
# environment: the tests let their stand-in image host on 127.0.0.2 through.
FORUM_IMAGE_PROXY_ALLOW_ADDRESSES: list[str] = []
MARKUP_IMAGE_URL = "imageproxy.links.proxied_url"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploads (config/uploads.py): a body over UPLOAD_MAX_REQUEST_BYTES (a form's fields
# and files together) is refused with a 413 page before any of it is read; each file
# is held in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE and never goes to disk, and of
# a larger one only its size is kept, so its form says so. Avatars take up to 2 MB.
UPLOAD_MAX_REQUEST_BYTES = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["config.uploads.CappedUploadHandler"]

# No inline script, style element, plugin or frame anywhere; everything the pages
# load comes from the site itself. Bootstrap's CSS draws its icons from data: URLs.
# Style attributes are allowed: post HTML carries [COLOR] and [SIZE] as one
# declaration each, which the markup sanitiser has validated (markup/allowlist.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", *_media.origins],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Powerful browser features the forum never uses, refused for it and for anything
# it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Plain lines, or one JSON object per line with LOG_FORMAT=json (config/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json.")
LOGGING = logging_config(fmt=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "WARNING"))
# Prometheus metrics (config/metrics.py) are counted always and served at /metrics
# only to "Authorization: Bearer <METRICS_TOKEN>"; unset, /metrics is a 404. The
# PostgreSQL and cache backends are swapped for ones that count (config/postgres
# also checks a persistent connection's health without a query).
METRICS_TOKEN = env_str("METRICS_TOKEN").strip()
_cache_backends = "django.core.cache.backends"
_counted = {
    "django.db.backends.postgresql": "config.postgres",
    f"{_cache_backends}.redis.RedisCache": "config.metrics.CountedRedisCache",
    f"{_cache_backends}.locmem.LocMemCache": "config.metrics.CountedLocMemCache",
}
for _database in DATABASES.values():
    _database["ENGINE"] = _counted.get(_database["ENGINE"], _database["ENGINE"])
for _cache in CACHES.values():
    _cache["BACKEND"] = _counted.get(_cache["BACKEND"], _cache["BACKEND"])
FORUM_VIEW_FLUSH_SECONDS = env_int("FORUM_VIEW_FLUSH_SECONDS", 60)
# Rendered post and thread lists are cached under a fingerprint of their rows (see
# forum/cache.py), never stale after a write; this bounds how old "3 minutes ago" gets.
FORUM_FRAGMENT_SECONDS = env_int("FORUM_FRAGMENT_SECONDS", 60)
# Read tracking (forum/readstate.py): posts older than this many days count as read,
# and read state older than it is pruned (manage.py prune_read_state).
FORUM_READ_CUTOFF_DAYS = env_int("FORUM_READ_CUTOFF_DAYS", 30, minimum=1)
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Days post and login addresses are kept before the daily job forgets them
# (forum/retention.py, manage.py prune_ip_addresses).
FORUM_IP_RETENTION_DAYS = env_int("FORUM_IP_RETENTION_DAYS", 90, minimum=1)
# Account deletion (privacy/erasure.py): days between a member asking and the
# worker erasing the account (0: at once), and whether they may have their posts
# removed rather than kept under "Deleted member".
ACCOUNT_DELETION_GRACE_DAYS = env_int("ACCOUNT_DELETION_GRACE_DAYS", 7, minimum=0)
FORUM_DELETION_MAY_REMOVE_POSTS = env_bool("FORUM_DELETION_MAY_REMOVE_POSTS", True)

# Background work (mail that answers a request, alerts): Django's Tasks API through
# django-tasks, queued in PostgreSQL and run by `manage.py db_worker` (make run starts
# one; docker compose has a worker service). Tests swap in the immediate backend.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Alerts (forum/alerts.py). Emailed alerts wait this many seconds after a member's
# first pending one, so a burst of replies makes one message; links in mail start
# with FORUM_BASE_URL (no request to take the host from in the worker). An @mention
# alerts at most FORUM_MENTION_ALERT_LIMIT members per post.
FORUM_ALERT_EMAIL_DELAY_SECONDS = env_int("FORUM_ALERT_EMAIL_DELAY_SECONDS", 300)
FORUM_BASE_URL = (
    env_str("FORUM_BASE_URL", "http://localhost:8000").strip().rstrip("/")
    or "http://localhost:8000"
)
FORUM_MENTION_ALERT_LIMIT = env_int("FORUM_MENTION_ALERT_LIMIT", 10)

# Rate limits and flood control. Counters live in the default cache: Redis with
# REDIS_URL, shared by every process; without it each process counts alone.
# Seconds a member waits between two posts, and between two new threads (0: off).
# Moderators are not held back.
FORUM_POST_INTERVAL_SECONDS = env_int("FORUM_POST_INTERVAL_SECONDS", 15)
FORUM_THREAD_INTERVAL_SECONDS = env_int("FORUM_THREAD_INTERVAL_SECONDS", 120)
# Approval queue: posts and threads by members with fewer approved posts than this
# wait for a moderator of the board (0: off); so do posts with links from members
# with fewer than FORUM_APPROVAL_LINK_POSTS, and posts containing any spam phrase
# (case-insensitive, comma-separated in the environment). Moderators are never held.
FORUM_APPROVAL_POSTS = env_int("FORUM_APPROVAL_POSTS", 1)
FORUM_APPROVAL_LINK_POSTS = env_int("FORUM_APPROVAL_LINK_POSTS", 5)
FORUM_SPAM_PHRASES = env_list("FORUM_SPAM_PHRASES")
# Accounts registered from one address in an hour.
ACCOUNTS_REGISTRATIONS_PER_ADDRESS_PER_HOUR = env_int(
    "ACCOUNTS_REGISTRATIONS_PER_ADDRESS_PER_HOUR", 5
)
# Password-reset mails asked for from one address, and for one email, in an hour.
ACCOUNTS_RESET_MAILS_PER_ADDRESS_PER_HOUR = env_int(
    "ACCOUNTS_RESET_MAILS_PER_ADDRESS_PER_HOUR", 5
)
ACCOUNTS_RESET_MAILS_PER_EMAIL_PER_HOUR = env_int(
    "ACCOUNTS_RESET_MAILS_PER_EMAIL_PER_HOUR", 3
)
# Confirmation mails (verification resends, email changes) per member in an hour.
ACCOUNTS_CONFIRMATION_MAILS_PER_HOUR = env_int(
    "ACCOUNTS_CONFIRMATION_MAILS_PER_HOUR", 3
)
# Reports a member may file in an hour (posts and members together; 0: no limit).
FORUM_REPORTS_PER_HOUR = env_int("FORUM_REPORTS_PER_HOUR", 10)
# Searches a guest may run per minute from one address (0: no limit); members are
# not limited. Search reads many rows: this keeps crawlers from hammering it.
FORUM_SEARCH_GUEST_PER_MINUTE = env_int("FORUM_SEARCH_GUEST_PER_MINUTE", 20)

# Private conversations (conversations/). At most this many members are in one at
# a time, the starter included; with FORUM_CONVERSATION_OPEN_INVITES every
# participant may invite more, otherwise only the starter. Messages are held back
# like posts (FORUM_POST_INTERVAL_SECONDS, and FORUM_THREAD_INTERVAL_SECONDS for a
# new conversation).
FORUM_CONVERSATION_MAX_PARTICIPANTS = env_int(
    "FORUM_CONVERSATION_MAX_PARTICIPANTS", 10, minimum=2
)
FORUM_CONVERSATION_OPEN_INVITES = env_bool("FORUM_CONVERSATION_OPEN_INVITES", False)
FORUM_CONVERSATION_MESSAGES_PER_PAGE = 20

# Failed logins, counted per account and per address, before logins are refused
# for LOGIN_LOCKOUT_MINUTES after the last failure. A password reset clears the
# account's count (accounts.ratelimit, django-axes).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# django-axes counts in Redis when there is one; a per-process memory cache would
# let each gunicorn worker count alone, so without Redis it counts in PostgreSQL.
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if os.environ.get("REDIS_URL")
    else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "accounts.http.client_ip"
AXES_USERNAME_CALLABLE = "accounts.ratelimit.login_account_key"
AXES_LOCKOUT_CALLABLE = "accounts.ratelimit.login_lockout_response"
# Failed attempts only: no row for every successful login, no admin pages.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Email verification: a new member confirms their address through a signed link
# that expires after ACCOUNTS_CONFIRMATION_DAYS; until then they read but cannot
# post. A changed address counts once its new owner follows the link mailed to it.
ACCOUNTS_REQUIRE_VERIFIED_EMAIL = env_bool("ACCOUNTS_REQUIRE_VERIFIED_EMAIL", True)
ACCOUNTS_CONFIRMATION_DAYS = env_int("ACCOUNTS_CONFIRMATION_DAYS", 3, minimum=1)
# Registration spam: a registration form sent back sooner than this many seconds
# after it was shown is refused, the input kept (0: off).
ACCOUNTS_REGISTRATION_MIN_SECONDS = env_int("ACCOUNTS_REGISTRATION_MIN_SECONDS", 3)
