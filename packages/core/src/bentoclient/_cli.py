"""The ``bentoclient`` command line: ``schema``, ``call``, ``ready`` and ``gen`` (see ``docs/cli.md``).

Imported only by ``bentoclient.__main__``, so ``import bentoclient`` never pays for argparse.
Exit codes: 0 ok, 1 other error, 2 usage (bad command line or endpoint arguments),
3 the server answered with an HTTP error status, 4 connection or timeout error / not ready,
130 interrupted.  Every failure is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Callable, Optional

from . import __version__, exceptions

if TYPE_CHECKING:
    from . import SyncHTTPClient

__all__ = [
    "EXIT_CONNECTION",
    "EXIT_ERROR",
    "EXIT_HTTP",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "main",
    "parse_value",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_HTTP = 3
EXIT_CONNECTION = 4
EXIT_INTERRUPTED = 130

#: Uploads and downloads smaller than this show no progress line.
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
#: ``ready`` with ``--wait 0`` still allows this long for one answer (and a path-prefix check).
READY_MIN_WAIT = 1.0

PROG = "bentoclient"


class UsageError(Exception):
    """A mistake on the command line (exit code 2)."""


# --- the parser ----------------------------------------------------------------------------


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect and call BentoML services; generate typed clients.",
        epilog="Exit codes: 0 ok, 1 other error, 2 usage error, 3 HTTP error status, "
        "4 connection error, timeout or not ready, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    conn = argparse.ArgumentParser(add_help=False)
    conn.add_argument(
        "--token",
        help="Bearer token (default: $BENTO_CLOUD_API_KEY; an empty string sends none)",
    )
    conn.add_argument(
        "--timeout", type=_seconds, default=30.0, metavar="SECONDS", help="per-request timeout (default 30)"
    )

    schema = commands.add_parser(
        "schema",
        parents=[conn],
        help="list a service's endpoints",
        description="List the endpoints of a service (or of a saved schema.json file): arguments, types, "
        "defaults, and whether each streams or is a task.",
    )
    schema.add_argument("source", metavar="URL|FILE", help="service URL, or a saved /schema.json file")
    schema.add_argument("--json", action="store_true", help="print the raw schema JSON instead")
    schema.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS", help="wait for readiness first")
    schema.set_defaults(run=_cmd_schema)

    call = commands.add_parser(
        "call",
        parents=[conn],
        help="call an endpoint and print the result",
        description="Call ENDPOINT with arguments NAME=VALUE (JSON if it parses, else the text; a field "
        "whose schema type is string always gets the text) or NAME:=JSON (always JSON).",
    )
    call.add_argument("url", metavar="URL")
    call.add_argument("endpoint", metavar="ENDPOINT")
    call.add_argument("arguments", nargs="*", metavar="NAME=VALUE", help="endpoint arguments")
    call.add_argument(
        "--json",
        dest="json_args",
        metavar="JSON",
        help="the arguments as one JSON object (NAME=VALUE pairs override its keys); "
        "for an endpoint whose input is one positional value, that value",
    )
    call.add_argument(
        "--file", action="append", default=[], metavar="NAME=PATH", help="upload the file at PATH as NAME"
    )
    call.add_argument(
        "--output-dir", default=".", metavar="DIR", help="where file outputs are saved (default: current folder)"
    )
    call.add_argument("--no-wait", action="store_true", help="task endpoints: print the task id and exit")
    call.add_argument(
        "--task-timeout", type=_seconds, metavar="SECONDS", help="task endpoints: give up waiting after this long"
    )
    call.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS", help="wait for readiness first")
    call.set_defaults(run=_cmd_call)

    ready = commands.add_parser(
        "ready",
        parents=[conn],
        help="exit 0 when the service is ready",
        description="Check GET /readyz; exit 0 when the service is ready, 4 when it is not (within --wait).",
    )
    ready.add_argument("url", metavar="URL")
    ready.add_argument(
        "--wait",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help=f"keep checking for up to this long (default 0: check once, allowing {READY_MIN_WAIT:g} s)",
    )
    ready.set_defaults(run=_cmd_ready)

    gen = commands.add_parser(
        "gen",
        parents=[conn],
        help="write a typed client module",
        description="Write a Python module with typed client classes for one service, from its URL or "
        "a saved /schema.json file.",
    )
    gen.add_argument("source", metavar="URL|FILE", help="service URL, or a saved /schema.json file")
    gen.add_argument("-o", "--output", metavar="FILE", help="the module to write (default: standard output)")
    gen.add_argument("--class-name", metavar="NAME", help="the sync client class name (default: <Service>Client)")
    gen.add_argument("--sync-only", action="store_true", help="leave out the async client class")
    gen.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS", help="wait for readiness first")
    gen.set_defaults(run=_cmd_gen)
    return parser


# --- entry point ---------------------------------------------------------------------------


def _fail(message: str) -> None:
    text = " ".join(str(message).split()) or "failed"
    print(f"{PROG}: error: {text}", file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; return its exit code (argparse's own exits are returned too)."""
    parser = build_parser()
    try:
        # NAME=VALUE arguments may come after options (``call URL EP --json {} a=1``): argparse
        # leaves those over, and they join the others here.
        args, extra = parser.parse_known_args(argv)
        if extra:
            if args.command != "call" or any(item.startswith("-") for item in extra):
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            args.arguments = [*args.arguments, *extra]
    except SystemExit as exc:  # --help, --version and usage errors (argparse printed them)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        with warnings.catch_warnings():  # the command prints JSON: plain values are what it wants
            warnings.simplefilter("ignore", exceptions.MissingDependencyWarning)
            return run(args)
    except UsageError as exc:
        _fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a second error at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # no real file behind sys.stdout
            pass
        return EXIT_ERROR
    except (exceptions.ArgumentError, exceptions.ConfigurationError) as exc:
        _fail(str(exc))
        return EXIT_USAGE
    except exceptions.ServerNotReady as exc:
        _fail(str(exc).replace("server_ready_timeout=", "--wait SECONDS"))
        return EXIT_CONNECTION
    except exceptions.HTTPStatusError as exc:
        _fail(str(exc))
        return EXIT_HTTP
    except exceptions.TransportError as exc:
        _fail(str(exc))
        return EXIT_CONNECTION
    except exceptions.BentoClientError as exc:
        _fail(str(exc))
        return EXIT_ERROR
    except OSError as exc:
        _fail(f"{exc.filename + ': ' if isinstance(exc.filename, str) else ''}{exc.strerror or exc}")
        return EXIT_ERROR


# --- shared helpers ------------------------------------------------------------------------


def _is_url(source: str) -> bool:
    return "://" in source


def _connect(args: argparse.Namespace, url: str, *, wait: float, download_dir: Optional[str] = None) -> SyncHTTPClient:
    from . import SyncHTTPClient  # loaded when a command runs, so --help stays cheap

    return SyncHTTPClient(
        url,
        token=args.token,
        timeout=args.timeout,
        server_ready_timeout=wait if wait > 0 else 0,
        download_dir=download_dir,
    )


def _load_schema(args: argparse.Namespace, source: str) -> Any:
    """The decoded ``/schema.json`` of a service URL, or of a saved file."""
    if _is_url(source):
        with _connect(args, source, wait=args.wait) as client:
            response = client.request("GET", "/schema.json")
            response.raise_for_status()
            try:
                return response.json()
            except ValueError as exc:
                raise exceptions.SchemaError(f"{source}: /schema.json is not valid JSON ({exc})") from None
    try:
        with open(source, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise UsageError(
            f"{source}: no such file (give a service URL such as http://127.0.0.1:3000, or a saved schema.json)"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{source}: not a JSON file ({exc})") from None


def _json_default(value: Any) -> Any:
    if hasattr(value, "__fspath__"):
        return os.fspath(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _dumps(value: Any, *, indent: Optional[int] = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=_json_default)


# --- schema --------------------------------------------------------------------------------


def _cmd_schema(args: argparse.Namespace) -> int:
    from ._gen import _label  # the same type labels as the generated docstrings

    schema = _load_schema(args, args.source)
    if args.json:
        print(_dumps(schema))
        return EXIT_OK
    if not isinstance(schema, Mapping) or not isinstance(schema.get("routes"), list):
        raise exceptions.SchemaError(f"{args.source}: not a BentoML service schema (no 'routes' list)")
    out: list[str] = []
    name = schema.get("name") or "?"
    routes = [r for r in schema["routes"] if isinstance(r, Mapping)]
    out.append(f"service {name}: {len(routes)} endpoint{'s' if len(routes) != 1 else ''}")
    if isinstance(schema.get("description"), str):
        out.append("  " + " ".join(schema["description"].split()))
    for route in routes:
        inp = _mapping(route.get("input"))
        output = _mapping(route.get("output"))
        kinds = [k for k, on in (("stream", output.get("is_stream")), ("task", route.get("is_task"))) if on]
        out.append("")
        out.append(f"{route.get('name')}  POST {route.get('route')}" + (f"  [{', '.join(kinds)}]" if kinds else ""))
        rows: list[tuple[str, str, str]] = []
        if inp.get("root_input"):
            rows.append(("(body)", _type_text(inp, _label), "required, the whole request body"))
        else:
            props = _mapping(inp.get("properties"))
            required = inp.get("required")
            required = required if isinstance(required, list) else []
            for field, value in props.items():
                sub = _mapping(value)
                if field in required:
                    note = "required"
                elif "default" in sub:
                    note = f"default {_dumps(sub['default'], indent=None)}"
                else:
                    note = "optional"
                rows.append((str(field), _type_text(sub, _label), note))
        if not rows:
            out.append("  (no arguments)")
        width = max((len(r[0]) for r in rows), default=0)
        type_width = max((len(r[1]) for r in rows), default=0)
        for field, type_text, note in rows:
            out.append(f"  {field.ljust(width)}  {type_text.ljust(type_width)}  {note}".rstrip())
        streamed = " (each item)" if output.get("is_stream") else ""
        out.append(f"  -> {_type_text(output, _label)}{streamed}")
    print("\n".join(out))
    return EXIT_OK


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _type_text(schema: Mapping[str, Any], label: Callable[[Any], str]) -> str:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return "one of " + ", ".join(_dumps(v, indent=None) for v in enum)
    text = label(schema)
    if schema.get("type") == "object" and isinstance(schema.get("properties"), Mapping):
        title = schema.get("title")
        if isinstance(title, str) and title not in ("Input", "Output"):
            text += f" {title.removesuffix('IODescriptor')}"
    return text


# --- call ----------------------------------------------------------------------------------


def _accepts_string(schema: Any) -> bool:
    """Whether a field takes a string, so a command-line value stays text (``123`` stays ``"123"``)."""
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds or "file" in kinds:
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
        return True
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and any(_accepts_string(o) for o in options):
            return True
    return False


def parse_value(text: str, schema: Optional[Mapping[str, Any]] = None) -> Any:
    """A ``NAME=VALUE`` value: the text itself when the field's schema accepts a string,
    else the JSON value the text parses as, else the text (the server then validates it)."""
    if schema is not None and _accepts_string(schema):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _split(item: str, option: str) -> tuple[str, str, bool]:
    """``NAME=VALUE`` -> (name, value, False); ``NAME:=JSON`` -> (name, json text, True)."""
    name, sep, value = item.partition("=")
    if not sep or not name or name == ":":
        raise UsageError(f"{option}{item!r}: expected NAME=VALUE (or NAME:=JSON)")
    if name.endswith(":"):
        return name[:-1], value, True
    return name, value, False


def _arguments(args: argparse.Namespace, endpoint: Any, progress: _Progress) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments of the call, from ``--json``, NAME=VALUE and ``--file``."""
    kwargs: dict[str, Any] = {}
    root = bool(endpoint.root_input)
    positional: list[Any] = []
    if args.json_args is not None:
        try:
            given = json.loads(args.json_args)
        except ValueError as exc:
            raise UsageError(f"--json: not valid JSON ({exc})") from None
        if root:
            positional.append(given)
        elif isinstance(given, dict):
            kwargs.update(given)
        else:
            raise UsageError(f"--json: endpoint {endpoint.name!r} takes named arguments; give a JSON object")
    for item in args.arguments:
        if "=" not in item:  # a bare value: say which name it needs
            if root:
                raise UsageError(
                    f"{item!r}: endpoint {endpoint.name!r} takes one value (its whole input): give it as value={item}"
                )
            names = ", ".join(f.name for f in endpoint.fields) or "none"
            raise UsageError(f"{item!r}: expected NAME=VALUE; endpoint {endpoint.name!r} takes {names}")
        name, text, is_json = _split(item, "")
        if is_json:
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise UsageError(f"{name}:= {text!r} is not valid JSON ({exc}); use {name}=TEXT for text") from None
        else:
            field = None if root else endpoint.get_field(name)
            value = parse_value(text, endpoint.input if root else field.schema if field is not None else None)
        _put(kwargs, positional, name, value, root=root)
    for item in args.file:
        name, path, _ = _split(item, "--file ")
        if not os.path.isfile(path):
            raise UsageError(f"--file {item}: {path!r} is not a readable file")
        value = progress.upload(path)
        field = None if root else endpoint.get_field(name)
        if field is not None and field.schema.get("type") == "array":
            existing = kwargs.setdefault(name, [])
            if isinstance(existing, list):
                existing.append(value)
                continue
        _put(kwargs, positional, name, value, root=root)
    return positional, kwargs


def _put(kwargs: dict[str, Any], positional: list[Any], name: str, value: Any, *, root: bool) -> None:
    if root:
        if name != "value":
            raise UsageError(f"{name}=: this endpoint takes one value (its whole input); give it as value=...")
        if positional:
            raise UsageError("this endpoint takes one value (its whole input); give it once")
        positional.append(value)
    else:
        kwargs[name] = value


def _task_method(client: SyncHTTPClient, name: str) -> Any:
    # The schema-made method of a task endpoint: ``client.<name>``, or ``client.api_<name>``
    # when the name clashes with a client attribute.
    method = getattr(client, name, None)
    return method if hasattr(method, "submit") else getattr(client, "api_" + name)


def _cmd_call(args: argparse.Namespace) -> int:
    progress = _Progress(sys.stderr)
    with _connect(args, args.url, wait=args.wait, download_dir=args.output_dir) as client:
        endpoint = client.endpoints.get(args.endpoint)
        if endpoint is None:
            known = ", ".join(client.endpoints) or "none"
            raise UsageError(
                f"service {client.service_name!r} has no endpoint {args.endpoint!r}; its endpoints: {known}"
            )
        positional, kwargs = _arguments(args, endpoint, progress)
        try:
            if endpoint.is_task and not endpoint.is_stream:
                task = _task_method(client, endpoint.name).submit(*positional, **kwargs)
                if args.no_wait:
                    print(task.id)
                    return EXIT_OK
                progress.note(f"task {task.id} submitted; waiting for it")
                with progress.downloads(args.output_dir, endpoint):
                    task.wait(args.task_timeout)
                    result = task.get()
            elif endpoint.is_stream:
                open_line = False  # text printed without a final newline yet
                with client.call(endpoint.name, *positional, **kwargs) as stream:
                    for item in stream:
                        _emit_item(item)
                        if isinstance(item, str) and item:
                            open_line = not item.endswith("\n")
                if open_line:  # a text stream ends its last line, as a text result does
                    sys.stdout.write("\n")
                    sys.stdout.flush()
                return EXIT_OK
            else:
                with progress.downloads(args.output_dir, endpoint):
                    result = client.call(endpoint.name, *positional, **kwargs)
        finally:
            progress.close()
    _emit_result(result)
    return EXIT_OK


def _write_bytes(data: bytes) -> None:
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a replaced sys.stdout without a byte layer
        sys.stdout.write(data.decode("latin-1"))
    else:
        buffer.write(data)
        buffer.flush()


def _emit_item(item: Any) -> None:
    """One stream item, as soon as it arrives: text and bytes as they are, other values as JSON lines."""
    if isinstance(item, str):
        sys.stdout.write(item)
        sys.stdout.flush()
    elif isinstance(item, (bytes, bytearray)):
        _write_bytes(bytes(item))
    else:
        sys.stdout.write(_dumps(item, indent=None) + "\n")
        sys.stdout.flush()


def _emit_result(result: Any) -> None:
    if isinstance(result, str):
        sys.stdout.write(result if result.endswith("\n") else result + "\n")
    elif isinstance(result, (bytes, bytearray)):
        _write_bytes(bytes(result))
    elif isinstance(result, os.PathLike):
        print(os.fspath(result))
    elif hasattr(result, "filename") and hasattr(result, "save"):  # a PIL image, saved in the output folder
        print(result.filename)
    else:
        print(_dumps(result))
    sys.stdout.flush()


# --- progress ------------------------------------------------------------------------------


def _megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


class _Progress:
    """One progress line on stderr for big uploads and downloads, only when stderr is a terminal."""

    def __init__(self, stream: IO[str], *, min_bytes: Optional[int] = None) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.min_bytes = PROGRESS_MIN_BYTES if min_bytes is None else min_bytes
        self._shown = False
        self._last = 0.0
        self._files: list[_ReadProgress] = []

    def note(self, text: str) -> None:
        if self.enabled:
            self._end_line()
            print(f"{PROG}: {text}", file=self.stream)

    def show(self, text: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self._shown = True

    def _end_line(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

    def upload(self, path: str) -> Any:
        """What to pass for a file argument: the path, or a reader that reports its progress."""
        import pathlib

        size = os.path.getsize(path)
        if not self.enabled or size < self.min_bytes:
            return pathlib.Path(path)
        reader = _ReadProgress(path, size, self)
        self._files.append(reader)
        return reader

    def downloads(self, folder: str, endpoint: Any) -> Any:
        import contextlib

        output = endpoint.output if isinstance(endpoint.output, Mapping) else {}
        if not self.enabled or output.get("type") != "file":
            return contextlib.nullcontext()
        return _DownloadWatch(self, folder)

    def close(self) -> None:
        for reader in self._files:
            reader.close()
        self._end_line()


class _ReadProgress:
    """An open file that reports how much of it was read (uploads rewind it on a retry)."""

    def __init__(self, path: str, size: int, progress: _Progress) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115  # closed by _Progress.close()
        self.name = path
        self._size = size
        self._progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        done = self._fh.tell()
        label = os.path.basename(self.name)
        text = f"uploading {label}: {_megabytes(done)} / {_megabytes(self._size)} ({100 * done // max(self._size, 1)}%)"
        self._progress.show(text, force=done >= self._size)
        return data

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()


class _DownloadWatch:
    """Approximate download progress: the size of the new files in the output folder."""

    def __init__(self, progress: _Progress, folder: str) -> None:
        self._progress = progress
        self._folder = folder
        self._stop = threading.Event()
        self._before = self._names()
        self._thread = threading.Thread(target=self._run, name="bentoclient-download-progress", daemon=True)

    def _names(self) -> set[str]:
        try:
            return set(os.listdir(self._folder))
        except OSError:
            return set()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            total = 0
            for name in self._names() - self._before:
                try:
                    total += os.path.getsize(os.path.join(self._folder, name))
                except OSError:
                    pass
            if total >= self._progress.min_bytes:
                self._progress.show(f"downloading: {_megabytes(total)}")

    def __enter__(self) -> _DownloadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- ready ---------------------------------------------------------------------------------


def _cmd_ready(args: argparse.Namespace) -> int:
    from . import SyncHTTPClient

    class ReadinessProbe(SyncHTTPClient):
        _setup_on_init = False  # GET /readyz only: no /schema.json, which a token may guard

    wait = max(args.wait, READY_MIN_WAIT)
    probe = ReadinessProbe(args.url, token=args.token, timeout=args.timeout, server_ready_timeout=wait)
    try:
        probe.wait_until_server_ready(wait)  # raises ServerNotReady (exit 4), or a 401/403 (exit 3)
    finally:
        probe.close()
    print(f"{args.url} is ready")
    return EXIT_OK


# --- gen -----------------------------------------------------------------------------------


def _cmd_gen(args: argparse.Namespace) -> int:
    from ._gen import generate

    if args.class_name is not None and not (args.class_name.isidentifier() and args.class_name[:1] != "_"):
        raise UsageError(f"--class-name {args.class_name!r}: give a Python class name such as MyServiceClient")
    schema = _load_schema(args, args.source)
    source = args.source
    if _is_url(source):
        source = source.rstrip("/") + "/schema.json"
    text = generate(schema, source=source, class_name=args.class_name, include_async=not args.sync_only)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return EXIT_OK
    with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    print(f"wrote {args.output}")
    return EXIT_OK
