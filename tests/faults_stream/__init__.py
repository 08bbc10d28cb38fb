"""Fault tests: streaming endpoints through SyncHTTPClient against a misbehaving loopback server."""
