import io

import pytest
from PIL import Image

from tests.factories import make_member


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Avatars written by a test land in its own folder, never in the checkout.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(db):
    return make_member("staffer", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def png_bytes(width: int = 64, height: int = 48, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()
