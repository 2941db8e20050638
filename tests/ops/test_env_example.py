"""`.env.example` documents every variable the settings and gunicorn read."""

import re

from tests.ops.conftest import ROOT

READS = re.compile(
    r'(?:environ\.get\(\s*|environ\[|env_bool\(|env_list\()\s*"([A-Z][A-Z0-9_]*)"'
)


def test_env_example_lists_every_variable_read():
    read = set()
    for source in ("config/settings.py", "config/gunicorn.py"):
        path = ROOT / source
        if path.exists():
            read |= set(READS.findall(path.read_text()))
    documented = set(
        re.findall(
            r"^#? ?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M
        )
    )
    assert "SECRET_KEY" in read
    assert read - documented == set()
