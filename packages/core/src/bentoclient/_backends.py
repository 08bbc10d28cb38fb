"""What differs between the async driver and the sync code generated from it: sleeping, and
where the default transport comes from.  Each ``async_*`` name here has a ``sync_*`` twin;
the generator (``tools/unasync.py``) swaps one for the other."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._proxy import ProxyConfig
from ._transport import HTTPTransport, SSLOptions
from ._url import ServiceAddress
from .exceptions import MissingDependencyError

if TYPE_CHECKING:
    from .transport import AsyncTransport, AsyncTransportOption, SyncTransport, SyncTransportOption

__all__ = [
    "IS_ASYNC",
    "IS_SYNC",
    "AsyncTransportClass",
    "SyncTransportClass",
    "adapt_async_transport",
    "adapt_sync_transport",
    "async_call_hook",
    "async_sleep",
    "default_async_transport",
    "default_sync_transport",
    "sync_call_hook",
    "sync_sleep",
]

sync_sleep = time.sleep
#: Which client the driver code runs as (the generator swaps the name): the async one awaits hooks.
IS_ASYNC = True
IS_SYNC = False


async def async_sleep(seconds: float) -> None:
    import asyncio  # only the async client pays for it

    await asyncio.sleep(seconds)


def sync_call_hook(hook: Callable[..., Any], *args: Any) -> None:
    hook(*args)


async def async_call_hook(hook: Callable[..., Any], *args: Any) -> None:
    """Call an event hook; await it when it is a coroutine function (async client only)."""
    result = hook(*args)
    if isinstance(result, Awaitable):
        await result


def default_sync_transport(
    address: ServiceAddress, *, max_connections: int, verify: SSLOptions, proxy: Optional[ProxyConfig] = None
) -> SyncTransport:
    return HTTPTransport(address, max_connections=max_connections, verify=verify, proxy=proxy)


def _async_package() -> Any:
    try:
        import bentoclient_async
    except ImportError as exc:
        raise MissingDependencyError(
            'AsyncHTTPClient sends through the async package by default: pip install "bentoclient[async]", '
            "or pass transport= an AsyncTransport of your own",
            package="bentoclient-async",
        ) from exc
    from .streaming import check_same_core

    check_same_core(bentoclient_async, "bentoclient-async")
    return bentoclient_async


def adapt_sync_transport(address: ServiceAddress, transport: SyncTransportOption) -> SyncTransport:
    return transport


def adapt_async_transport(address: ServiceAddress, transport: AsyncTransportOption) -> AsyncTransport:
    """A transport given to ``AsyncHTTPClient``: ours as is, an httpx transport wrapped."""
    if hasattr(transport, "handle_async_request") and not hasattr(transport, "send"):
        adapted: AsyncTransport = _async_package().HTTPXTransport(address, transport=transport)
        return adapted
    checked: AsyncTransport = transport  # type: ignore[assignment]  # not an httpx one: the seam itself
    return checked


def default_async_transport(
    address: ServiceAddress, *, max_connections: int, verify: SSLOptions, proxy: Optional[ProxyConfig] = None
) -> AsyncTransport:
    """The async package's default transport (its ``default_transport`` factory).

    ``proxy=`` is passed only when there is a proxy, so that a ``bentoclient-async`` whose
    factory takes no ``proxy`` keeps working without one; when a proxy applies, such a
    factory is refused with a clear error rather than connecting around the proxy."""
    factory = _async_package().default_transport
    if proxy is None:
        transport: AsyncTransport = factory(address, max_connections=max_connections, verify=verify)
        return transport
    if not _takes_keyword(factory, "proxy"):
        raise MissingDependencyError(
            f"AsyncHTTPClient would send through {proxy.described}, but the installed bentoclient-async "
            'cannot use a proxy yet; upgrade it (pip install -U "bentoclient[async]"), or connect directly: add the '
            "service's host to NO_PROXY, or pass trust_env=False (or leave out proxy=)",
            package="bentoclient-async",
        )
    transport = factory(address, max_connections=max_connections, verify=verify, proxy=proxy)
    return transport


def _takes_keyword(cls: Any, name: str) -> bool:
    import inspect  # only when a proxy is in use

    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return True  # cannot tell: let the call say
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


class SyncTransportClass:
    """``SyncHTTPClient.client_cls``: the transport class it sends through by default."""

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> type[Any]:
        return HTTPTransport


class AsyncTransportClass:
    """``AsyncHTTPClient.client_cls``: looked up when asked, so the async package loads lazily."""

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> type[Any]:
        cls: type[Any] = _async_package().AsyncioTransport
        return cls
