"""The standard-library transport: a thread-safe keep-alive pool of sockets.

The only core module that touches sockets.  ``http.client`` opens connections (TCP, TLS,
unix sockets, proxies); requests are written and responses read here, with the wire rules
of :mod:`bentoclient._http11`.  ``http.client``, ``socket`` and ``ssl`` exceptions are mapped
to bentoclient's own here and nowhere else, always ``from`` the original.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional, Union

from ._http11 import (
    MAX_HEADER_LINE,
    BodyIncomplete,
    HeadError,
    HeadFields,
    ResponseParser,
    check_request,
    parse_status_line,
    request_framing,
)
from ._models import Headers, Request, Timeout
from ._proxy import (
    ProxyConfig,
    proxy_connect_error,
    proxy_connect_request,
    proxy_status_error,
    proxy_timeout_error,
    transport_proxy,
)
from ._url import ServiceAddress, parse_service_url
from .exceptions import (
    ClientClosedError,
    ConfigurationError,
    ConnectError,
    ConnectTimeout,
    PoolTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    TLSError,
    TransportError,
    WriteError,
    WriteTimeout,
)

__all__ = ["HTTPTransport", "Response", "SSLOptions", "ssl_context"]

# uvicorn (BentoML's server) drops idle keep-alive connections after 5 s; reusing one
# near that limit races the server's close (bentoml/BentoML#4971), so ours expire first.
KEEPALIVE_EXPIRY = 4.0
READ_CHUNK = 64 * 1024
#: Bodies up to this size go out in the same write as the head.
_JOIN_BODY = 64 * 1024

SSLOptions = Union[bool, str, ssl.SSLContext]


def _read_head_fields(fp: Any) -> Headers:
    """The header fields of a head read a line at a time, up to its blank line (HeadError if bad)."""
    head = HeadFields()
    while head.add(fp.readline(MAX_HEADER_LINE + 1)):
        pass
    return head.headers()


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: Optional[float]) -> None:
        super().__init__("127.0.0.1", 3000, timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class _ProxyHTTPConnection(http.client.HTTPConnection):
    """A connection to an HTTP proxy, for plain-http services (requests in absolute form)."""

    def __init__(self, address: ServiceAddress, proxy: ProxyConfig, timeout: Optional[float]) -> None:
        super().__init__(proxy.host, proxy.port, timeout=timeout)
        self._address = address
        self._proxy = proxy

    def connect(self) -> None:
        try:
            super().connect()
        except socket.timeout as exc:
            raise proxy_timeout_error(self._address, self._proxy, self.timeout) from exc
        except OSError as exc:
            raise proxy_connect_error(self._address, self._proxy, _os_reason(exc)) from exc


class _TunnelHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the service through a ``CONNECT`` tunnel opened by an HTTP proxy.

    Not ``set_tunnel()``: that reports a refusal as an ``OSError`` whose only detail is its
    text; here the proxy's answer is read and mapped to a typed error by its status code.
    """

    def __init__(
        self, address: ServiceAddress, proxy: ProxyConfig, timeout: Optional[float], context: ssl.SSLContext
    ) -> None:
        super().__init__(address.host, address.port, timeout=timeout, context=context)
        self._address = address
        self._proxy = proxy
        self._tls = context

    def connect(self) -> None:
        address, proxy = self._address, self._proxy
        try:
            sock = socket.create_connection((proxy.host, proxy.port), self.timeout)
        except socket.timeout as exc:
            raise proxy_timeout_error(address, proxy, self.timeout) from exc
        except OSError as exc:
            raise proxy_connect_error(address, proxy, _os_reason(exc)) from exc
        try:
            try:
                sock.sendall(proxy_connect_request(address, proxy))
                status, reason = _read_connect_answer(sock)
            except socket.timeout as exc:
                raise proxy_timeout_error(address, proxy, self.timeout) from exc
            except (OSError, http.client.HTTPException, ValueError) as exc:
                reason = f"the proxy broke off the CONNECT exchange ({type(exc).__name__}: {exc})"
                raise proxy_connect_error(address, proxy, reason) from exc
            if status != 200:
                raise proxy_status_error(address, proxy, status, reason, tunnel=True)
            # TLS with the service inside the tunnel: its name is verified, not the proxy's.
            self.sock = self._tls.wrap_socket(sock, server_hostname=address.host)
        except BaseException:
            sock.close()
            raise


def _read_connect_answer(sock: socket.socket) -> tuple[int, str]:
    """The status of the proxy's answer to ``CONNECT``, its head read whole and nothing more."""
    # Unbuffered: no byte after the head (the tunnel's, the TLS session's) may be read here.
    fp = sock.makefile("rb", buffering=0)
    try:
        line = fp.readline(MAX_HEADER_LINE + 1)
        if not line:
            raise HeadError("closed without answering")
        _, status, reason = parse_status_line(line)  # the shared head rules (HeadError: a ValueError)
        _read_head_fields(fp)
        return status, reason
    finally:
        fp.close()  # the socket stays open: makefile() holds a reference of its own


def _stale_connection(url: str) -> RemoteProtocolError:
    """A reused kept-alive connection the server closed before any byte of the answer (the
    retry policy decides whether the request goes again)."""
    return RemoteProtocolError(
        f"the server at {url} closed a kept-alive connection before answering", url=url, stale_connection=True
    )


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def ssl_context(verify: SSLOptions) -> ssl.SSLContext:
    """The ``ssl.SSLContext`` for a ``verify=`` option (True, False, a CA file or folder, a context)."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if isinstance(verify, str):
        # A missing or malformed CA file is the caller's mistake: say so, not FileNotFoundError.
        try:
            return (
                ssl.create_default_context(capath=verify)
                if os.path.isdir(verify)
                else ssl.create_default_context(cafile=verify)
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(f"verify={verify!r}: cannot load CA certificates: {exc}") from exc
    return ssl.create_default_context()


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read (EOF, a reset or junk) right now."""
    try:
        if hasattr(select, "poll"):  # select() cannot watch descriptors >= FD_SETSIZE (1024)
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True  # cannot tell: do not reuse it
    return bool(readable)


class _Conn:
    """A pooled connection, when it was last returned idle, and its socket's timeouts."""

    __slots__ = ("http", "idle_since", "limit", "reused", "sock")

    def __init__(self, conn: http.client.HTTPConnection, sock: socket.socket) -> None:
        self.http = conn
        self.sock = sock
        self.idle_since = 0.0
        self.reused = False
        #: The socket's timeout now (kept here: ``gettimeout()`` on every read of a stream costs).
        self.limit = sock.gettimeout()

    def set_limit(self, limit: Optional[float]) -> None:
        """Set the socket's timeout (a system call: the callers set only a change).

        Why not the kernel's SO_RCVTIMEO on a blocking socket, which would spare CPython's
        poll before every ``recv``: a signal handler that returns makes CPython restart the
        wait with the whole timeout again, so periodic signals would turn a stall into a hang;
        with ``settimeout`` the wait keeps its end.
        """
        self.sock.settimeout(limit)
        self.limit = limit

    def usable(self, now: float) -> bool:
        sock = self.http.sock
        if sock is None or now - self.idle_since > KEEPALIVE_EXPIRY:
            return False
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return False  # decrypted bytes nobody asked for: junk
        # Readable while idle means the server closed it (EOF) or sent junk.
        return not _readable(sock)


def _set_timeout(conn: _Conn, limit: Optional[float], deadline: Optional[float], url: str) -> None:
    """The socket's timeout for the next read: the read timeout, cut to what is left of the deadline.

    Set only when it changes (a system call): the reads of one body mostly share the read timeout.
    """
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReadTimeout(f"the total timeout ran out while reading the response from {url}", url=url)
        if limit is None or remaining < limit:
            limit = remaining
    if limit != conn.limit:
        conn.set_limit(limit)


def _read_timeout(url: str, deadline: Optional[float], exc: BaseException, what: str) -> ReadTimeout:
    if deadline is not None and time.monotonic() >= deadline:
        error = ReadTimeout(f"the total timeout ran out while reading the response from {url}", url=url)
    else:
        error = ReadTimeout(f"{url} sent no data {what} for longer than the read timeout", url=url)
    error.__cause__ = exc
    return error


class Response:
    """A response whose body is read on demand; returns its connection to the pool when done.

    ``status_code`` and ``headers`` are set on arrival; ``read()`` gives
    the whole body, ``iter_bytes()`` chunks of it; ``close()`` releases the connection.
    Reading the body stops with :class:`ReadTimeout` at ``deadline`` (a ``time.monotonic()``
    value: what is left of ``Timeout(total=...)``), however steadily the bytes trickle in.
    """

    def __init__(
        self,
        transport: HTTPTransport,
        conn: _Conn,
        parser: ResponseParser,
        url: str,
        *,
        read_timeout: Optional[float] = None,
        deadline: Optional[float] = None,
    ) -> None:
        head = parser.response
        assert head is not None
        self._transport = transport
        self._conn: Optional[_Conn] = conn
        self._parser = parser
        self._url = url
        self._read_timeout = read_timeout
        self._deadline = deadline
        self.status_code: int = head.status
        self.headers: Headers = head.headers

    def read(self) -> bytes:
        return b"".join(self.iter_bytes(0))

    def iter_bytes(self, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        parser, url, sock = self._parser, self._url, conn.sock
        read_timeout, deadline = self._read_timeout, self._deadline
        limit = chunk_size if chunk_size > 0 else 1 << 62
        try:
            while True:
                try:
                    data = parser.body(limit)
                    if data is None:
                        if deadline is not None or read_timeout != conn.limit:
                            _set_timeout(conn, read_timeout, deadline, url)
                        parser.feed(sock.recv(READ_CHUNK))
                        continue
                except BodyIncomplete as exc:
                    raise ReadError(f"the response from {url} ended early: {exc}", url=url) from exc
                except HeadError as exc:
                    raise RemoteProtocolError(f"{url} sent an invalid response body: {exc}", url=url) from exc
                except socket.timeout as exc:
                    raise _read_timeout(url, deadline, exc, "in the middle of the body") from exc
                except OSError as exc:
                    raise ReadError(
                        f"the connection to {url} broke while reading the response: {exc}", url=url
                    ) from exc
                if not data:
                    break
                yield data
        except BaseException:
            self._discard()
            raise
        self.close()

    def close(self) -> None:
        """Release the connection: back to the pool when the body was read whole, else closed."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._release(conn, discard=not self._parser.reusable)

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._release(conn, discard=True)

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HTTPTransport:
    """Keep-alive HTTP/1.1 connections to one service, shared safely by threads.

    At most ``max_connections`` are open at once; a caller beyond that waits up to the
    pool timeout.  Idle connections expire after 4 s (before the server's 5 s).  A reused
    connection the server had closed before any response byte is reported with
    ``stale_connection=True``; the client's retry plan sends the request once more.
    ``address`` is the service URL; ``proxy=`` an ``http://`` proxy URL every request goes
    through (the client's own ``proxy=`` and the environment apply to its default only).
    """

    def __init__(
        self,
        address: Union[ServiceAddress, str],
        *,
        max_connections: int = 10,
        verify: SSLOptions = True,
        proxy: Union[ProxyConfig, str, None] = None,
    ) -> None:
        if isinstance(address, str):  # the service URL; the clients pass it parsed
            address = parse_service_url(address)
        if max_connections < 1:  # ConfigurationError is a ValueError, as this used to raise
            raise ConfigurationError(f"max_connections must be a positive integer, got {max_connections!r}")
        self.address = address
        self.max_connections = max_connections
        self._verify = verify
        #: The HTTP proxy every request goes through, or None.
        self.proxy: Optional[ProxyConfig] = transport_proxy(address, proxy)
        # Built now, so that a bad CA path fails the constructor, not the first request.
        self._ssl: Optional[ssl.SSLContext] = ssl_context(verify) if address.scheme == "https" else None
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._idle: list[_Conn] = []
        self._closed = False

    # Pickling and fork: connections and locks belong to one process; rebuild them lazily.
    def __getstate__(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "max_connections": self.max_connections,
            "_verify": self._verify,
            "proxy": self.proxy,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._ssl = None
        self._reset()

    def _check_process(self) -> None:
        if self._pid != os.getpid():  # forked: never use the parent's sockets
            inherited = self._idle
            self._reset()
            # Closing our copies of the descriptors sends nothing while the parent holds
            # its own (no FIN, no TLS alert), and keeps them from leaking in this process.
            for conn in inherited:
                conn.http.close()

    @property
    def idle_connections(self) -> int:
        return len(self._idle)

    # --- connections -------------------------------------------------------------------

    def _new_connection(self, timeout: Timeout) -> _Conn:
        addr = self.address
        proxy = self.proxy
        conn: http.client.HTTPConnection
        if addr.scheme == "unix":
            assert addr.socket_path is not None
            conn = _UnixHTTPConnection(addr.socket_path, timeout.connect)
        elif addr.scheme == "https":
            if self._ssl is None:
                self._ssl = ssl_context(self._verify)
            if proxy is not None:
                conn = _TunnelHTTPSConnection(addr, proxy, timeout.connect, self._ssl)
            else:
                conn = http.client.HTTPSConnection(addr.host, addr.port, timeout=timeout.connect, context=self._ssl)
        elif proxy is not None:
            conn = _ProxyHTTPConnection(addr, proxy, timeout.connect)
        else:
            conn = http.client.HTTPConnection(addr.host, addr.port, timeout=timeout.connect)
        url = addr.url
        try:
            conn.connect()
        except TransportError:  # the proxy's failures, typed already
            conn.close()
            raise
        except socket.timeout as exc:
            conn.close()
            raise ConnectTimeout(
                f"connecting to {url} took longer than {timeout.connect:g} s", url=url, request_sent=False
            ) from exc
        except ssl.SSLError as exc:
            conn.close()
            reason = str(exc) or exc.reason or type(exc).__name__
            from ._messages import tls_failure_message  # only when a handshake failed

            raise TLSError(tls_failure_message(url, reason), url=url, request_sent=False) from exc
        except OSError as exc:
            conn.close()
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ConnectError(f"cannot connect to {url}: {reason}", url=url, request_sent=False) from exc
        sock = conn.sock
        if sock is None:  # pragma: no cover - connect() sets it or raises
            raise ConnectError(f"cannot connect to {url}", url=url, request_sent=False)
        if addr.scheme != "unix":
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Conn(conn, sock)

    def _acquire(self, timeout: Timeout) -> _Conn:
        self._check_process()
        if self._closed:
            raise ClientClosedError("the client is closed; create a new one")
        if not self._slots.acquire(timeout=timeout.pool):
            raise PoolTimeout(
                f"all {self.max_connections} connections to {self.address.url} stayed busy for {timeout.pool:g} s",
                url=self.address.url,
                request_sent=False,
            )
        now = time.monotonic()
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                break
            if conn.usable(now):
                conn.reused = True
                return conn
            conn.http.close()
        try:
            return self._new_connection(timeout)
        except BaseException:
            self._slots.release()
            raise

    def _release(self, conn: _Conn, *, discard: bool = False) -> None:
        if discard or self._closed or self._pid != os.getpid():
            conn.http.close()
        else:
            conn.idle_since = time.monotonic()
            with self._lock:
                self._idle.append(conn)
        if self._pid == os.getpid():
            self._slots.release()

    def close(self) -> None:
        """Close idle connections and refuse new requests; responses in flight finish first."""
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.http.close()

    # --- requests ------------------------------------------------------------------------

    def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> Response:
        """Send ``request`` and return once the status line and headers have arrived.

        The request is checked before a connection is taken (ConfigurationError: nothing
        sent).  ``deadline`` (a ``time.monotonic()`` value) bounds waiting for the head and
        reading the body.  A reused connection the server had closed raises an error with
        ``stale_connection=True``: the client decides whether to send again.
        """
        head = self._request_head(request)
        conn = self._acquire(timeout)
        try:
            return self._send_on(conn, request, head, timeout, deadline)
        except BaseException:
            self._release(conn, discard=True)
            raise

    def _request_head(self, request: Request) -> bytes:
        fields = check_request(request)
        framing = request_framing(request)
        # Plain http through a proxy: the absolute URL goes to the proxy, with its credentials.
        # (https goes through a CONNECT tunnel: there the request is the service's own.)
        forward = self.proxy if self.proxy is not None and self.address.scheme == "http" else None
        target = self.address.origin + request.target if forward is not None else request.target
        lines = [f"{request.method} {target} HTTP/1.1", f"Host: {self.address.host_header}"]
        if forward is not None:
            lines.extend(f"{name}: {value}" for name, value in forward.headers)
        lines.extend(f"{name}: {value}" for name, value in fields)
        if framing is not None:
            lines.append(f"{framing[0]}: {framing[1]}")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def _send_on(
        self, conn: _Conn, request: Request, head: bytes, timeout: Timeout, deadline: Optional[float] = None
    ) -> Response:
        url = self.address.origin + request.target
        sock = conn.sock
        chunked = request.body_length is None
        try:
            if timeout.write != conn.limit:
                conn.set_limit(timeout.write)
            content = request.content
            if isinstance(content, (bytes, bytearray)):
                if len(content) <= _JOIN_BODY:
                    sock.sendall(head + content if content else head)
                else:
                    sock.sendall(head)
                    sock.sendall(content)
            else:
                sock.sendall(head)
                for chunk in content:
                    if chunk:
                        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except socket.timeout as exc:
            raise WriteTimeout(
                f"sending the request to {url} stalled for longer than {timeout.write:g} s", url=url
            ) from exc
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as exc:
            if conn.reused:
                raise _stale_connection(url) from exc
            raise WriteError(f"the connection to {url} broke while sending the request: {exc}", url=url) from exc
        except OSError as exc:
            raise WriteError(f"the connection to {url} broke while sending the request: {exc}", url=url) from exc
        parser = ResponseParser(request.method)
        try:
            while parser.head() is None:
                _set_timeout(conn, timeout.read, deadline, url)
                parser.feed(sock.recv(READ_CHUNK))
        except HeadError as exc:
            if not parser.received:
                if conn.reused:
                    raise _stale_connection(url) from exc
                raise RemoteProtocolError(f"{url} closed the connection without sending a response", url=url) from exc
            raise RemoteProtocolError(f"{url} sent an invalid HTTP response: {exc}", url=url) from exc
        except socket.timeout as exc:
            what = "after part of the response head" if parser.received else "in response"
            raise _read_timeout(url, deadline, exc, what) from exc
        except (ConnectionResetError, ConnectionAbortedError) as exc:
            if conn.reused and not parser.received:
                raise _stale_connection(url) from exc
            raise ReadError(f"the connection to {url} broke while waiting for the response: {exc}", url=url) from exc
        except OSError as exc:
            raise ReadError(f"the connection to {url} broke while waiting for the response: {exc}", url=url) from exc
        response = parser.response
        assert response is not None
        if self.proxy is not None and self.address.scheme == "http" and response.status == 407:
            # The proxy's own answer (the service never saw the request): not the service's.
            raise proxy_status_error(self.address, self.proxy, 407, response.reason, tunnel=False)
        return Response(self, conn, parser, url, read_timeout=timeout.read, deadline=deadline)
