"""Plain factory functions. Posts go through the services, so counters are right."""

import itertools

from accounts.models import User
from accounts.services import register_member
from forum import services
from forum.models import Board, Category, Post, Thread

_seq = itertools.count(1)
PASSWORD = "correct horse 42"  # every factory member's


def make_member(username: str | None = None, **fields) -> User:
    n = next(_seq)
    username = username or f"member{n}"
    user = register_member(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        email_verified=True,
    )
    for name, value in fields.items():
        setattr(user, name, value)
    if fields:
        user.save()
    return user


def make_category(name: str = "General", **fields) -> Category:
    n = next(_seq)
    return Category.objects.create(name=name, slug=f"category-{n}", **fields)


def make_board(name: str = "Chat", category: Category | None = None, **fields) -> Board:
    n = next(_seq)
    return Board.objects.create(
        category=category or make_category(), name=name, slug=f"board-{n}", **fields
    )


def make_thread(
    board: Board | None = None,
    author: User | None = None,
    title: str = "A thread about things",
    body: str = "First post.",
) -> Thread:
    return services.start_thread(
        board=board or make_board(),
        author=author or make_member(),
        title=title,
        body=body,
    )


def make_posts(
    thread: Thread, count: int, authors: list[User] | None = None
) -> list[Post]:
    authors = authors or [make_member() for _ in range(min(count, 3))]
    return [
        services.post_reply(
            thread=thread, author=authors[i % len(authors)], body=f"Reply number {i}."
        )
        for i in range(count)
    ]
