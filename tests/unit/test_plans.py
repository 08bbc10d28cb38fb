"""The pure plans that drive both clients, with made-up times: no clock, no socket, no sleep.

``RequestPlan`` (attempts, retries, back-off, Retry-After, redirects, the stale-connection
resend, the total deadline), ``ReadyWait`` (the readiness wait) and ``PollPlan`` (a task's wait).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from email.utils import formatdate
from typing import Optional

import pytest

from bentoclient import NO_RETRY, Backoff, Retry, Timeout
from bentoclient import exceptions as exc
from bentoclient._models import Headers, Request
from bentoclient._protocol import RequestPlan
from bentoclient._ready import ReadyWait
from bentoclient._tasks import PollPlan, ResultStatus
from bentoclient._url import parse_service_url

ADDRESS = parse_service_url("http://127.0.0.1:3000")
POST = Request("POST", "/classify", (), b"{}", None, "classify")
NO_JITTER = Backoff(initial=0.5, factor=2.0, maximum=3.0, jitter=0.0)
RETRY = Retry(total=3, backoff=NO_JITTER)
T0 = 1000.0  # a made-up monotonic time
WALL = 1_800_000_000.0  # a made-up wall-clock time (time.time()), for Retry-After dates
SERVICE_RAN = {"x-bentoml-request-id": "715514fc745b2983"}  # BentoML dispatched it to the service's code


DEFAULT_TIMEOUT = Timeout()


def plan(
    request: Request = POST, timeout: Timeout = DEFAULT_TIMEOUT, retry: Retry = RETRY, now: float = T0
) -> RequestPlan:
    return RequestPlan(ADDRESS, request, timeout, retry, now=now)


def answer(p: RequestPlan, status: int, headers: Mapping[str, str] = {}, now: float = T0) -> Optional[float]:
    return p.after_response(status, Headers(headers), now, wall=WALL)


def refused() -> exc.ConnectError:
    return exc.ConnectError("refused", url=ADDRESS.url, request_sent=False)


class OneShot:
    """A body that cannot be produced twice (a caller's non-seekable stream)."""

    replayable = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"x"


# --- RequestPlan: attempts and back-off ---------------------------------------------------------


def test_connect_failures_are_retried_with_back_off_then_raised_with_the_attempt_count() -> None:
    p = plan()
    assert [p.after_error(refused(), T0) for _ in range(3)] == [0.5, 1.0, 2.0]
    with pytest.raises(exc.ConnectError) as info:
        p.after_error(refused(), T0)
    assert info.value.attempts == 4


def test_back_off_is_capped() -> None:
    p = plan(retry=Retry(total=6, backoff=NO_JITTER))
    assert [p.after_error(refused(), T0) for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_sent_post_is_not_retried_by_default_but_is_when_asked() -> None:
    lost = exc.ReadError("broke", url=ADDRESS.url, request_sent=True)
    with pytest.raises(exc.ReadError):
        plan().after_error(lost, T0)
    assert plan(retry=RETRY._replace(retry_sent_requests=True)).after_error(lost, T0) == 0.5


def test_idempotent_get_is_retried_after_it_was_sent() -> None:
    get = Request("GET", "/readyz")
    lost = exc.ReadError("broke", url=ADDRESS.url, request_sent=True)
    assert plan(get).after_error(lost, T0) == 0.5


def test_tls_failure_is_never_retried() -> None:
    with pytest.raises(exc.TLSError):
        plan().after_error(exc.TLSError("bad cert", url=ADDRESS.url, request_sent=False), T0)


def test_a_sent_body_that_cannot_replay_is_not_sent_again_even_when_allowed() -> None:
    p = plan(Request("POST", "/x", (), OneShot(), None), retry=RETRY._replace(retry_sent_requests=True))
    with pytest.raises(exc.ReadError):
        p.after_error(exc.ReadError("broke", url=ADDRESS.url, request_sent=True), T0)
    assert p.after_error(refused(), T0) == 0.5  # nothing sent: the body was never read


# --- RequestPlan: the stale-connection resend ---------------------------------------------------


def stale() -> exc.RemoteProtocolError:
    return exc.RemoteProtocolError("closed", url=ADDRESS.url, stale_connection=True)


def stale_unsent() -> exc.RemoteProtocolError:
    return exc.RemoteProtocolError("closed", url=ADDRESS.url, request_sent=False, stale_connection=True)


def test_stale_connection_before_the_request_went_out_is_resent_at_once_and_counted() -> None:
    p = plan()
    assert p.after_error(stale_unsent(), T0) == 0.0  # a fresh connection at once
    assert p.attempts == 2
    assert p.after_error(stale_unsent(), T0) == 1.0  # then the back-off, like any retry


def test_stale_connection_goes_through_the_policy_no_retry_sends_once() -> None:
    p = plan(retry=NO_RETRY)
    with pytest.raises(exc.RemoteProtocolError) as info:
        p.after_error(stale_unsent(), T0)
    assert info.value.attempts == 1


def test_stale_connection_after_a_post_went_out_is_not_resent_by_default() -> None:
    # Go's net/http rule: the server may have read the request before it closed.
    with pytest.raises(exc.RemoteProtocolError) as info:
        plan().after_error(stale(), T0)
    assert info.value.attempts == 1
    assert plan(retry=RETRY._replace(retry_sent_requests=True)).after_error(stale(), T0) == 0.0


@pytest.mark.parametrize(
    "request_",
    [Request("GET", "/readyz"), Request("POST", "/classify", (("Idempotency-Key", "k1"),), b"{}", None, "classify")],
    ids=["GET", "POST with Idempotency-Key"],
)
def test_stale_connection_after_an_idempotent_or_keyed_request_is_resent(request_: Request) -> None:
    p = plan(request_)
    assert p.after_error(stale(), T0) == 0.0
    assert p.attempts == 2


def test_stale_connection_with_a_body_that_cannot_replay_is_an_error() -> None:
    p = plan(Request("POST", "/x", (), OneShot(), None), retry=RETRY._replace(retry_sent_requests=True))
    with pytest.raises(exc.RemoteProtocolError):
        p.after_error(stale(), T0)


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
def test_a_read_timeout_is_not_resent_whatever_the_method(method: str) -> None:
    # The server may be working on it (a task's PUT /cancel that never answers).
    timed_out = exc.ReadTimeout("no answer within 30 s", url=ADDRESS.url)
    with pytest.raises(exc.ReadTimeout) as info:
        plan(Request(method, "/x", (), b"", None)).after_error(timed_out, T0)
    assert info.value.attempts == 1
    asked = plan(Request(method, "/x", (), b"", None), retry=RETRY._replace(retry_sent_requests=True))
    assert asked.after_error(timed_out, T0) == 0.5


def test_timeouts_before_anything_was_sent_are_retried() -> None:
    for error in (exc.ConnectTimeout("slow", request_sent=False), exc.PoolTimeout("full", request_sent=False)):
        assert plan().after_error(error, T0) == 0.5


# --- RequestPlan: statuses, Retry-After, redirects ----------------------------------------------


def test_429_and_503_turned_away_before_dispatch_follow_retry_after_and_the_budget() -> None:
    p = plan()
    assert answer(p, 429, {"Retry-After": "2"}) == 2.0  # BentoML's max_concurrency rejection
    assert answer(p, 503) == 1.0  # no Retry-After: the back-off (second retry)
    assert answer(p, 503, {"Retry-After": "0"}) == 0.0
    assert answer(p, 503, {"Retry-After": "0"}) is None  # budget spent: final
    assert p.attempts == 4


@pytest.mark.parametrize("status", [503, 429])
def test_a_status_the_service_code_raised_is_final_for_a_call(status: int) -> None:
    p = plan()
    assert answer(p, status, {**SERVICE_RAN, "Retry-After": "0"}) is None  # the call ran: not again
    assert p.attempts == 1


def test_a_service_raised_503_is_retried_when_asked_for() -> None:
    p = plan(retry=RETRY._replace(extra_statuses=frozenset({503})))
    assert answer(p, 503, SERVICE_RAN) == 0.5
    assert answer(p, 503, {**SERVICE_RAN, "Retry-After": "1"}) == 1.0


def test_a_service_raised_503_on_an_idempotent_request_is_retried() -> None:
    assert answer(plan(Request("GET", "/schema.json")), 503, SERVICE_RAN) == 0.5


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    assert answer(plan(), 503, {"Retry-After": "61"}) is None


def test_retry_after_as_a_date_is_measured_from_the_wall_time_passed_in() -> None:
    date = formatdate(WALL + 7, usegmt=True)
    assert answer(plan(), 429, {"Retry-After": date}) == pytest.approx(7.0)
    past = formatdate(WALL - 100, usegmt=True)
    assert answer(plan(), 429, {"Retry-After": past}) == 0.0


def test_jitter_comes_from_the_random_source_passed_in() -> None:
    jittery = Retry(total=5, backoff=Backoff(initial=1.0, factor=2.0, maximum=60.0, jitter=0.5))

    def delays(seed: int) -> list[float]:
        p = RequestPlan(ADDRESS, POST, DEFAULT_TIMEOUT, jittery, now=T0, rng=random.Random(seed))
        return [p.after_error(refused(), T0) for _ in range(5)]

    assert delays(7) == delays(7)
    assert delays(7) != delays(8)
    assert all(0.5 * 2**n <= d <= 1.5 * 2**n for n, d in enumerate(delays(7)))


def test_500_is_final_unless_asked_for() -> None:
    assert answer(plan(), 500, SERVICE_RAN) is None
    assert answer(plan(), 500) is None  # not in statuses: final, whoever answered
    assert answer(plan(retry=RETRY._replace(extra_statuses=frozenset({500}))), 500, SERVICE_RAN) == 0.5


def test_success_is_final() -> None:
    assert answer(plan(), 200) is None


def test_redirects_change_the_request_and_are_bounded() -> None:
    p = plan()
    assert answer(p, 307, {"Location": "/moved"}) == 0.0
    assert p.request.target == "/moved"
    for _ in range(4):
        answer(p, 307, {"Location": "/moved"})
    with pytest.raises(exc.RemoteProtocolError, match="redirects"):
        answer(p, 307, {"Location": "/moved"})


# --- RequestPlan: the total deadline ------------------------------------------------------------


def test_attempt_limits_shrink_to_what_is_left_of_the_total() -> None:
    p = plan(timeout=Timeout(connect=5, read=5, write=5, pool=5, total=3))
    assert p.attempt_timeout(T0) == Timeout(3, 3, 3, 3, None)
    assert p.attempt_timeout(T0 + 2.5).read == pytest.approx(0.5)


def test_no_attempt_after_the_total_ran_out() -> None:
    p = plan(timeout=Timeout(total=3))
    p.after_error(refused(), T0 + 1)
    with pytest.raises(exc.TimeoutException, match="total timeout of 3 s") as info:
        p.attempt_timeout(T0 + 3)
    assert info.value.attempts == 1


def test_back_off_that_would_cross_the_deadline_is_not_waited() -> None:
    p = plan(timeout=Timeout(total=1))
    with pytest.raises(exc.ConnectError):
        p.after_error(refused(), T0 + 0.7)  # a 0.5 s pause would end past T0 + 1


def test_a_read_timeout_that_used_up_the_total_names_the_total_not_the_clipped_limit() -> None:
    p = plan(timeout=Timeout(connect=2, read=2, write=2, pool=2, total=1))
    limits = p.attempt_timeout(T0 + 0.00001)
    timed_out = exc.ReadTimeout(f"no response within the read timeout of {limits.read} s", url=ADDRESS.url)
    with pytest.raises(exc.ReadTimeout) as info:
        p.after_error(timed_out, T0 + 1)
    assert "total timeout of 1 s" in str(info.value)
    assert "0.99" not in str(info.value)


# --- ReadyWait ------------------------------------------------------------------------------------


def wait(seconds: float = 10) -> ReadyWait:
    return ReadyWait(seconds, Timeout(5, 5, 5, 5), url=ADDRESS.url, now=T0)


def test_ready_wait_probes_with_growing_pauses_until_its_time_is_up() -> None:
    w = wait(2)
    assert w.next_probe(T0) == Timeout(2, 2, 2, 2, None)
    pauses = [w.pause(T0) for _ in range(12)]
    assert pauses[0] < 0.1 < pauses[5]
    assert max(pauses) <= 1.2
    assert w.pause(T0 + 1.9) == pytest.approx(0.1)  # never past the deadline
    assert w.next_probe(T0 + 2) is None


def test_ready_wait_reports_the_last_answer() -> None:
    w = wait()
    assert w.answered(503, "starting") == w.RETRY
    w.no_answer(exc.ConnectError("refused", url=ADDRESS.url, request_sent=False))
    assert w.answered(503, "still starting") == w.RETRY
    err = w.error("/readyz")
    assert isinstance(err, exc.ServerNotReady)
    assert "within 10 seconds" in str(err)
    assert "HTTP 503 still starting" in str(err)
    assert err.last_status == 503


def test_ready_wait_stops_at_once_on_what_waiting_cannot_fix() -> None:
    for fatal in (
        exc.TLSError("cert", url=ADDRESS.url, request_sent=False),
        exc.ClientClosedError("closed"),
        exc.ConfigurationError("bad header"),
    ):
        with pytest.raises(type(fatal)):
            wait().no_answer(fatal)


def test_ready_wait_checks_for_a_path_prefix_once_after_a_404() -> None:
    w = wait()
    assert w.answered(404, "Not Found") == w.CHECK_PREFIX
    assert w.answered(404, "Not Found") == w.RETRY  # checked already
    assert w.answered(200, "") == w.READY


def test_not_a_service_says_to_drop_the_endpoint_path() -> None:
    err = wait().not_a_service("/readyz")
    assert isinstance(err, exc.ServerNotReady)
    assert "not the root of a BentoML service" in str(err)
    assert err.last_status == 404


# --- PollPlan -------------------------------------------------------------------------------------


def test_poll_plan_waits_with_back_off_until_the_task_finishes() -> None:
    p = PollPlan("t1", None, now=T0)
    delays = [p.next_delay(ResultStatus.IN_PROGRESS, T0) for _ in range(10)]
    assert all(d is not None for d in delays)
    assert delays[0] == pytest.approx(0.1, rel=0.11)
    assert max(d for d in delays if d) <= 2.2
    assert p.next_delay(ResultStatus.COMPLETED, T0) is None
    assert p.status is ResultStatus.COMPLETED


def test_poll_plan_gives_up_after_its_timeout() -> None:
    p = PollPlan("t1", 5, now=T0)
    assert p.next_delay(ResultStatus.PENDING, T0 + 4.95) == pytest.approx(0.05)
    with pytest.raises(exc.TimeoutException, match="task t1 is still pending after 5 s"):
        p.next_delay(ResultStatus.PENDING, T0 + 5)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_without_location_is_a_typed_error_not_an_answer(status: int) -> None:
    with pytest.raises(exc.RemoteProtocolError, match=f"answered {status} .*without a Location"):
        answer(plan(), status)


def test_other_3xx_statuses_are_final_answers() -> None:
    assert answer(plan(), 304) is None


@pytest.mark.parametrize(("status", "kind"), [(401, exc.Unauthorized), (403, exc.Forbidden)])
def test_ready_wait_raises_an_auth_answer_at_once_naming_the_token(status: int, kind: type[Exception]) -> None:
    with pytest.raises(kind) as info:
        wait().answered(status, '{"error":"missing token"}')
    text = str(info.value)
    assert f"GET {ADDRESS.url}/readyz" in text
    assert "token=" in text
    assert "BENTO_CLOUD_API_KEY" in text
