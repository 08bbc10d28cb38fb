"""Fault tests: SyncHTTPClient against a loopback server that misbehaves on purpose."""
