from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from floor.models import Post


def posts(request: HttpRequest, thread_id: int) -> HttpResponse:
    page = (
        Post.objects.filter(thread_id=thread_id)
        .select_related("author")
        .order_by("position")[:20]
    )
    return render(request, "floor/posts.html", {"posts": page})
