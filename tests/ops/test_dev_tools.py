"""The bench data generator, which empties forum tables, exists only for development."""

import pytest

from tests.ops.conftest import manage, project_env


@pytest.mark.parametrize(
    ("extra", "installed"),
    [
        ({}, False),  # a deployment: DEBUG off, nothing asked for
        ({"DJANGO_DEBUG": "True"}, True),
        ({"COLLOQUY_DEV_TOOLS": "True"}, True),  # the test run and make bench
        ({"DJANGO_DEBUG": "True", "COLLOQUY_DEV_TOOLS": "False"}, False),
    ],
)
def test_generate_forum_is_installed_only_with_the_dev_tools(extra, installed):
    # Listing the commands reads the settings and the apps but never connects.
    env = project_env("postgres://nobody@127.0.0.1:9/unused", **extra)
    commands = manage(env, "help", "--commands").stdout.split()
    assert ("generate_forum" in commands) is installed
    assert {"recount", "rerender_posts", "backup", "restore"} <= set(commands)
