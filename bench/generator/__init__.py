"""The bench-only app holding ``manage.py generate_forum``.

The generator TRUNCATEs forum tables and switches triggers off, so it is installed
only where COLLOQUY_DEV_TOOLS is on (by default with DEBUG; the test run and
``make bench`` switch it on) and the production image does not contain ``bench/``.
"""
