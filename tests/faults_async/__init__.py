"""Fault tests: AsyncHTTPClient against a loopback server that misbehaves on purpose."""
