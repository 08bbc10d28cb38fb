"""The one driver, as written: the async source that ``_sync`` is generated from."""
