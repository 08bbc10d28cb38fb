"""Fault tests: streaming endpoints through AsyncHTTPClient against a misbehaving loopback server."""
