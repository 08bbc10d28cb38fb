"""BentoML task endpoints (``@bentoml.task``): the requests, the answers and the polling plan.

A task endpoint at route ``R`` also serves ``POST R/submit`` (same body as a call),
``GET R/status?task_id=``, ``GET R/get?task_id=``, ``PUT R/cancel?task_id=`` and
``POST R/retry?task_id=`` (protocol §6).  The request builders and status parsing here are
pure and shared by both clients.
"""

from __future__ import annotations

import enum
import json
from typing import Any, Optional
from urllib.parse import quote

from ._backoff import Backoff, RandomSource
from ._models import Request, ResponseData
from ._schema import Endpoint
from .exceptions import ArgumentError, ResponseDecodeError, TimeoutException

__all__ = [
    "PollPlan",
    "ResultStatus",
    "check_task_id",
    "not_a_task_hint",
    "parse_status",
    "parse_task_id",
    "submit_request",
    "task_target",
]

#: Polling a task: 100 ms at first, then at most 2 s apart.
POLL_BACKOFF = Backoff(initial=0.1, factor=1.5, maximum=2.0, jitter=0.1)


class ResultStatus(str, enum.Enum):
    """A task's state, as BentoML reports it (1.4's names; 1.3's ``success``, ``failure`` and
    ``cancelled`` are read as ``completed``, ``failed`` and ``canceled``)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        return self in (ResultStatus.COMPLETED, ResultStatus.FAILED, ResultStatus.CANCELED)

    @classmethod
    def parse(cls, value: Any) -> ResultStatus:
        # BentoML 1.3 servers (and 1.4's docs and OpenAPI) spell three states differently.
        aliases = {"success": "completed", "failure": "failed", "cancelled": "canceled"}
        text = aliases.get(str(value).lower(), str(value).lower())
        try:
            return cls(text)
        except ValueError:
            raise ResponseDecodeError(f"unknown task status {value!r} from the server") from None


#: The oldest BentoML line with task endpoints (``@bentoml.task``).
TASKS_SINCE = "1.3"


def not_a_task_hint(endpoint: Endpoint) -> str:
    """How to fix a task function used on a plain endpoint; on a BentoML 1.2 server (which the
    schema reveals) it says that the server's version has no tasks at all."""
    if endpoint.server_line == "1.2":
        return (
            f"the server runs BentoML 1.2, which has no task endpoints: tasks need BentoML {TASKS_SINCE} "
            f"or newer on the server; call it directly (client.{endpoint.name}(...))"
        )
    return f"call it directly (client.{endpoint.name}(...)), or declare it with @bentoml.task on the server"


def task_target(endpoint: Endpoint, action: str, task_id: str) -> str:
    return f"{endpoint.route}/{action}?task_id={quote(task_id, safe='')}"


def submit_request(call_request: Request) -> Request:
    """The submit request: exactly the call's request, sent to ``<route>/submit``."""
    return call_request._replace(target=call_request.target + "/submit")


def check_task_id(endpoint: Endpoint, task_id: Any) -> str:
    if not isinstance(task_id, str) or not task_id:
        raise ArgumentError(
            f"endpoint {endpoint.name!r}: task_id must be the non-empty string id a submit returned, got {task_id!r}",
            endpoint=endpoint.name,
            argument="task_id",
        )
    return task_id


def parse_task_id(endpoint: Endpoint, response: ResponseData) -> str:
    try:
        task_id = json.loads(response.content)["task_id"]
    except (ValueError, KeyError, TypeError):
        raise ResponseDecodeError(
            f"endpoint {endpoint.name!r}: the submit answer has no task_id: {response.text[:200]!r}",
            endpoint=endpoint.name,
            body=response.content,
        ) from None
    if not isinstance(task_id, str):
        raise ResponseDecodeError(f"endpoint {endpoint.name!r}: task_id {task_id!r} is not a string")
    return task_id


def parse_status(response: ResponseData) -> ResultStatus:
    try:
        return ResultStatus.parse(json.loads(response.content)["status"])
    except ResponseDecodeError:
        raise  # an unknown status: its own message says which
    except (ValueError, KeyError, TypeError):
        raise ResponseDecodeError(f"the task status answer is not understood: {response.text[:200]!r}") from None


class PollPlan:
    """When to ask a task's status again: pure, with the time passed in as ``now``."""

    def __init__(
        self, task_id: str, timeout: Optional[float], *, now: float, rng: Optional[RandomSource] = None
    ) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self.deadline = None if timeout is None else now + timeout
        self.status = ResultStatus.PENDING
        self._delays = POLL_BACKOFF.delays(rng)  # jitter from the source passed in

    def next_delay(self, status: ResultStatus, now: float) -> Optional[float]:
        """None once ``status`` is final; else the pause before the next poll (or a timeout error)."""
        self.status = status
        if status.finished:
            return None
        delay = next(self._delays)
        if self.deadline is not None:
            remaining = self.deadline - now
            if remaining <= 0:
                raise TimeoutException(
                    f"task {self.task_id} is still {status.value} after {self.timeout:g} s; "
                    "wait longer, or call get_status() later"
                )
            delay = min(delay, remaining)
        return delay
