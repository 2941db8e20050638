"""Tests that need an outside program (nginx, haproxy, redis-server, PostgreSQL's
server binaries): `.ci/run` installs them, so in CI a missing one is a failure."""

import os

import pytest


def missing_tool(message: str):
    """Skip the test on a machine without the tool; fail it in CI."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


NGINX_MISSING = "nginx is not installed (apt-get install nginx-light; .ci/run does)"
