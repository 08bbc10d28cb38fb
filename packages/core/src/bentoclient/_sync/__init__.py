"""Generated from ``_async`` by tools/unasync.py: do not edit; run ``nox -s unasync``."""
