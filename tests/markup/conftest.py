import pytest


@pytest.fixture(autouse=True)
def _renderer_alone(settings):
    # The renderer as a library: [IMG] keeps its source. The project's hook, the
    # image proxy's signed address, is tested in tests/imageproxy/.
    settings.MARKUP_IMAGE_URL = None
