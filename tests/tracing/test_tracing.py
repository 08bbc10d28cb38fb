"""W3C trace context and client spans, with the OpenTelemetry SDK, on both clients.

Runs where ``opentelemetry-sdk`` is installed (the noxfile collects this folder only there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from unit.test_memory_transport import Answer, FakeService, resolve, run_both

from bentoclient import NO_RETRY
from bentoclient import exceptions as exc

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(PROVIDER)  # the application's set-up: the clients find it through the API
TRACER = trace.get_tracer("tests")


@pytest.fixture(autouse=True)
def fresh_exporter() -> Iterator[None]:
    EXPORTER.clear()
    yield
    EXPORTER.clear()


def header(request: Any, name: str) -> str | None:
    return next((v for k, v in request.headers if k.lower() == name), None)


def test_a_call_inside_a_span_carries_traceparent_and_makes_a_client_span() -> None:
    async def check(client: Any, service: FakeService) -> None:
        EXPORTER.clear()
        with TRACER.start_as_current_span("job") as parent:
            assert await resolve(client.double(x=4)) == 8
        sent = service.sent[-1]
        traceparent = header(sent, "traceparent")
        assert traceparent is not None
        version, trace_id, span_id, _flags = traceparent.split("-")
        assert version == "00"
        assert trace_id == format(parent.get_span_context().trace_id, "032x")
        spans = {s.name: s for s in EXPORTER.get_finished_spans()}
        client_span = spans["POST /double"]
        assert client_span.kind is SpanKind.CLIENT
        assert span_id == format(client_span.context.span_id, "016x")  # the server's parent is our span
        assert client_span.parent is not None
        assert client_span.parent.span_id == parent.get_span_context().span_id
        assert client_span.attributes is not None
        assert client_span.attributes["http.response.status_code"] == 200
        assert client_span.attributes["http.request.method"] == "POST"

    run_both(check)


def test_no_active_span_means_no_header_and_no_span() -> None:
    async def check(client: Any, service: FakeService) -> None:
        EXPORTER.clear()
        await resolve(client.double(x=1))
        assert header(service.sent[-1], "traceparent") is None
        assert EXPORTER.get_finished_spans() == ()

    run_both(check)


def test_an_error_status_marks_the_span() -> None:
    async def check(client: Any, service: FakeService) -> None:
        EXPORTER.clear()
        service.script = [lambda r: Answer(400, b'{"error": "bad"}')]
        with TRACER.start_as_current_span("job"), pytest.raises(exc.InvalidArgument):
            await resolve(client.double(x=1))
        client_span = next(s for s in EXPORTER.get_finished_spans() if s.kind is SpanKind.CLIENT)
        assert client_span.status.status_code is StatusCode.ERROR
        assert client_span.attributes is not None
        assert client_span.attributes["http.response.status_code"] == 400

    run_both(check, retry=NO_RETRY)
