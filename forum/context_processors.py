from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from forum import reports


def moderation(request: HttpRequest) -> dict[str, object]:
    """The moderator's open-report count for the header, read only if shown."""
    # Lazy: pages that never render the header (or guests) cost no query; for a
    # member without a queue it costs none either (see reports.queue_for).
    return {"report_queue": SimpleLazyObject(lambda: reports.queue_for(request.user))}
