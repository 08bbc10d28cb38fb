"""Generate the sync driver from the async one, or check that the generated files are current.

The client's I/O loop, readiness wait, task handles, file outputs and stream objects are
written once, as async code; this script rewrites each source file in ``FILES`` into its sync
twin at the token level (python-trio/unasync's approach), and likewise each async test module
in ``TEST_FILES`` (with ``TEST_RENAMES`` too; a generated test module may import no async-only
module, so the sync tests run with the core package alone):

- the ``async`` keyword before ``def``/``for``/``with`` and every ``await`` are removed;
- a NAME token listed in ``RENAMES`` is renamed (``AsyncHTTPClient`` -> ``SyncHTTPClient``,
  ``aclose`` -> ``close``); ``AsyncGenerator[Y, S]`` becomes ``Generator[Y, S, None]``;
- strings, docstrings, f-strings and comments are never rewritten (but for the names listed in
  a module's ``__all__``, which are names).  Where the two clients' prose (or a string the code
  uses) must differ, the source says both, with the markers below.

Markers (comments) in the async source:

- a statement whose line ends in ``# async-only`` is left out of the sync code;
- the lines between ``# async-only: begin`` and ``# async-only: end`` are left out;
- a comment line ``# sync-only: CODE`` becomes ``CODE``;
- the comment lines between ``# sync-only: begin`` and ``# sync-only: end`` become code, each
  without its ``# `` (the way to give a sync docstring of several lines).

The layout of the source is kept as it is (no formatter runs on the output, so the result
depends on nothing but this file and the source).  ``python tools/unasync.py`` writes the files;
``--check`` fails (showing the first differing line) when a generated file is stale.  Both fail
when a rename was never used (dead rules do not pile up), when a marker is unbalanced, nested,
misspelt or cuts a statement in two, when the output does not parse, when it imports a name
only async-only code used, and when a name that looks asynchronous (``Async...``, ``async_...``,
``a...`` twins in ``RENAMES``) is left in the output without a rename.  An async word left in a
string or comment of the output (``await``, ``coroutine``, ...) is reported on stderr;
``tests/unit/test_unasync.py`` fails on it.
"""

from __future__ import annotations

import argparse
import ast
import io
import itertools
import re
import sys
import tokenize
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FILES = {
    "packages/core/src/bentoclient/_async/client.py": "packages/core/src/bentoclient/_sync/client.py",
    "packages/core/src/bentoclient/_async/bulk.py": "packages/core/src/bentoclient/_sync/bulk.py",
    "packages/stream/src/bentoclient_stream/_async_stream.py": "packages/stream/src/bentoclient_stream/_sync_stream.py",
}

# Test modules: the async suite is the source, its sync twin is generated (same rules and
# markers, plus ``TEST_RENAMES``).  A sync twin imports its helpers from its own folder
# (``from .support import SyncClients``), where a hand-written harness runs the same test body
# without an event loop.
TEST_FILES = {
    "tests/faults_async/test_async_faults.py": "tests/faults/test_faults.py",
    "tests/faults_async_stream/test_async_stream_faults.py": "tests/faults_stream/test_stream_faults.py",
    "tests/integration/async_client/test_async_auth.py": "tests/integration/test_auth.py",
    "tests/integration/async_client/test_async_retry_policy.py": "tests/integration/test_retry_policy.py",
    "tests/integration/async_streams/test_async_streams.py": "tests/integration/streams/test_sync_streams.py",
    "tests/integration/async_client/test_async_ipv6.py": "tests/integration/test_ipv6.py",
    "tests/integration/async_client/test_async_unix.py": "tests/integration/test_unix_socket.py",
    "tests/integration/async_client/test_async_tasks.py": "tests/integration/test_tasks.py",
    "tests/integration/async_client/test_async_map_batch.py": "tests/integration/test_map_batch.py",
    "tests/integration/async_client/test_async_client.py": "tests/integration/test_sync_client.py",
}

# NAME tokens renamed in code (never in strings or comments).
RENAMES: dict[str, str] = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "StopAsyncIteration": "StopIteration",
    "AsyncGenerator": "Generator",  # and its send type gets a return type: [Y, S] -> [Y, S, None]
    "AsyncMapIterator": "MapIterator",
    "AsyncWorkers": "SyncWorkers",
    "AsyncHTTPClient": "SyncHTTPClient",
    "AsyncTask": "Task",
    "AsyncTransportClass": "SyncTransportClass",
    "AsyncTransportOption": "SyncTransportOption",
    "AsyncTransport": "SyncTransport",
    "AsyncResponse": "SyncResponse",
    "AsyncItemStream": "SyncItemStream",
    "AsyncOpener": "SyncOpener",
    "AsyncStream": "SyncStream",
    "async_sleep": "sync_sleep",
    "async_call_hook": "sync_call_hook",
    "default_async_transport": "default_sync_transport",
    "adapt_async_transport": "adapt_sync_transport",
    "async_stream": "sync_stream",
    "aiter_bytes": "iter_bytes",
    "aread": "read",
    "aclose": "close",
}

# NAME tokens renamed in test code, on top of ``RENAMES`` (which the tests may use or not).
TEST_RENAMES: dict[str, str] = {
    "AsyncClients": "SyncClients",
    "bentoclient_async": "bentoclient",
    "faults_async": "faults",  # tests/faults_async/support.py -> tests/faults/support.py
}

# A generated test module runs where only the core package is installed: it imports none of these.
ASYNC_MODULES = re.compile(
    r"^(?:asyncio|anyio|httpx\w*|httpcore|bentoclient_async|bentoclient\.(?:aio|_async))(?:\.|$)"
)

# Names that look asynchronous but belong in the sync code as they are.
KEEP: frozenset[str] = frozenset({"allow_coroutines"})  # check_event_hooks(): False on the sync client

# Words of async prose; a string or comment of the sync code with one is reported (the sync
# wording belongs in the source, with the markers), but for these, true of the sync code too.
ASYNC_WORDS = re.compile(r"\b(?:await\w*|async|coroutines?|\w*async\w*)\b", re.IGNORECASE)
PROSE_KEPT: frozenset[str] = frozenset(
    {'" (an async iterable is not supported: pass a plain iterable)"'}  # map()'s hint, on both clients
)

ASYNC_LOOKING = re.compile(r"Async|async|await|coroutine|^a(?:iter|next|read|close)|^__a(?:enter|exit|iter|next)__$")
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+ splits f-strings into tokens
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_TSTRING_START = getattr(tokenize, "TSTRING_START", None)  # Python 3.14+
_TSTRING_END = getattr(tokenize, "TSTRING_END", None)
_STRING_STARTS = {t for t in (_FSTRING_START, _TSTRING_START) if t is not None}
_STRING_ENDS = {t for t in (_FSTRING_END, _TSTRING_END) if t is not None}


class GenerationError(Exception):
    """The source cannot be turned into sync code as it is: the message says where and why."""


def _tokens(source: str, origin: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise GenerationError(f"{origin}: does not parse (tokenizing: {exc})") from None


# --- markers ------------------------------------------------------------------------------

_MARKER = re.compile(r"#\s*(async|sync)[-_ ]?only\b", re.IGNORECASE)
_SYNC_ONLY_LINE = re.compile(r"^# sync-only: (?!begin$|end$)(.+)$")


def _apply_markers(source: str, origin: str) -> str:
    """Drop the async-only lines and uncomment the sync-only ones; check every marker."""
    lines = source.splitlines(keepends=True)
    tokens = _tokens(source, origin)
    comments = {tok.start[0]: tok for tok in tokens if tok.type == tokenize.COMMENT}
    # Which lines start a logical line, and on which line each logical line ends.
    ends_at: dict[int, int] = {}
    first = None
    for tok in tokens:
        if tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
            continue
        if first is None:
            first = tok.start[0]
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            ends_at[first] = tok.start[0]
            first = None

    out: list[str] = []
    block: tuple[str, int] | None = None  # ("async" or "sync", line number of its begin)
    dropped = False  # lines were just left out: blank lines after them may be too many
    for number, line in enumerate(lines, 1):
        if (
            block is None
            and not line.strip()
            and dropped
            and (not out or out[-1].rstrip().endswith(":") or not out[-1].strip())
        ):
            continue  # no double blank line (or blank first line of a block) where code was left out
        if block is None and line.strip() and not _MARKER.match(line.strip()):
            dropped = False
        where = f"{origin}:{number}"
        comment = comments.get(number)
        text = comment.string if comment is not None else ""
        own_line = comment is not None and not line[: comment.start[1]].strip()
        if text in ("# async-only: begin", "# sync-only: begin"):
            if not own_line:
                raise GenerationError(f"{where}: {text!r} must stand on a line of its own")
            if block is not None:
                raise GenerationError(f"{where}: {text!r} inside the {block[0]}-only block begun on line {block[1]}")
            block = ("async" if text.startswith("# async") else "sync", number)
        elif text in ("# async-only: end", "# sync-only: end"):
            kind = "async" if text.startswith("# async") else "sync"
            if not own_line:
                raise GenerationError(f"{where}: {text!r} must stand on a line of its own")
            if block is None or block[0] != kind:
                raise GenerationError(f"{where}: {text!r} without its '# {kind}-only: begin'")
            block = None
            dropped = kind == "async"
        elif _MARKER.match(text):
            if block is not None:
                raise GenerationError(f"{where}: {text!r} inside the {block[0]}-only block begun on line {block[1]}")
            if text == "# async-only" and not own_line:
                if ends_at.get(number) != number:
                    raise GenerationError(
                        f"{where}: '# async-only' must end a statement that starts and ends on its line "
                        "(use '# async-only: begin' / '# async-only: end' around longer code)"
                    )
                dropped = True
                continue  # the statement is left out
            sync_line = _SYNC_ONLY_LINE.match(text)
            if sync_line is None or not own_line:
                raise GenerationError(
                    f"{where}: misplaced or unknown marker {text!r}: use '# async-only' (after a statement), "
                    "'# sync-only: CODE' (a line of its own), '# async-only: begin'/'end' or '# sync-only: begin'/'end'"
                )
            out.append(line[: len(line) - len(line.lstrip())] + sync_line.group(1) + "\n")
            dropped = False  # code again: the blank lines after it are the source's own
        elif block is None:
            out.append(line)
        elif block[0] == "sync":  # a commented line of sync code: the block's content
            if comment is None and line.strip():
                raise GenerationError(f"{where}: only comment lines may stand in a sync-only block")
            if not line.strip():
                out.append("\n")
                continue
            if not own_line:
                raise GenerationError(f"{where}: only comment lines may stand in a sync-only block")
            body = text[2:] if text.startswith("# ") else text[1:]
            out.append(line[: len(line) - len(line.lstrip())] + body + "\n" if body else "\n")
    if block is not None:
        raise GenerationError(f"{origin}:{block[1]}: '# {block[0]}-only: begin' has no '# {block[0]}-only: end'")
    return "".join(out)


# --- tokens -------------------------------------------------------------------------------


def _offsets(text: str) -> list[int]:
    """The offset in ``text`` of each line's start (1-based line numbers: index 0 unused)."""
    starts = [0, 0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _rewrite(source: str, origin: str, used: set[str], renames: Mapping[str, str] = RENAMES) -> str:
    """Remove ``async``/``await`` and rename the names of ``renames`` in code tokens only."""
    tokens = _tokens(source, origin)
    starts = _offsets(source)

    def at(pos: tuple[int, int]) -> int:
        return starts[pos[0]] + pos[1]

    edits: list[tuple[int, int, str]] = []
    depth = 0  # inside an f-string (3.12+ tokenizes its parts): leave it alone, as a string
    for index, tok in enumerate(tokens):
        if tok.type in _STRING_STARTS:
            depth += 1
            continue
        if tok.type in _STRING_ENDS:
            depth -= 1
            continue
        if depth:
            continue
        if tok.type == tokenize.NAME and tok.string == "__all__" and tok.start[1] == 0:
            all_names = _all_strings(tokens, index)
            for string in all_names:
                name = ast.literal_eval(string.string)
                if name in renames:
                    used.add(name)
                    quote = string.string[-1]
                    edits.append((at(string.start), at(string.end), quote + renames[name] + quote))
            continue
        if tok.type != tokenize.NAME:
            continue
        if tok.string in ("async", "await"):
            following = tokens[index + 1]
            if tok.string == "async" and following.string not in ("def", "for", "with"):
                raise GenerationError(f"{origin}:{tok.start[0]}: 'async' before {following.string!r}")
            if following.start[0] != tok.end[0]:
                raise GenerationError(f"{origin}:{tok.start[0]}: {tok.string!r} at the end of a line")
            edits.append((at(tok.start), at(following.start), ""))  # the keyword and the space after it
            continue
        new = renames.get(tok.string)
        if new is None:
            continue
        used.add(tok.string)
        edits.append((at(tok.start), at(tok.end), new))
        if tok.string == "AsyncGenerator" and tokens[index + 1].string == "[":
            close = _closing_bracket(tokens, index + 1)
            edits.append((at(tokens[close].start), at(tokens[close].start), ", None"))
    text = source
    for begin, end, new in sorted(edits, reverse=True):
        text = text[:begin] + new + text[end:]
    return text


def _all_strings(tokens: list[tokenize.TokenInfo], index: int) -> list[tokenize.TokenInfo]:
    """The string tokens of a module's ``__all__ = [...]`` (names, so renamed like names)."""
    if tokens[index + 1].string != "=" or tokens[index + 2].string not in ("[", "("):
        return []
    close = _closing_bracket(tokens, index + 2)
    return [tok for tok in tokens[index + 3 : close] if tok.type == tokenize.STRING]


def _closing_bracket(tokens: list[tokenize.TokenInfo], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].string in ("[", "(", "{"):
            depth += 1
        elif tokens[index].string in ("]", ")", "}"):
            depth -= 1
            if depth == 0:
                return index
    raise GenerationError("unbalanced brackets")  # pragma: no cover - the source tokenized


def _strip_docstring(source: str) -> str:
    """The source without its module docstring (it speaks of the source; the output has its own)."""
    module = ast.parse(source)
    first = module.body[0] if module.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and first.end_lineno is not None
    ):
        lines = source.splitlines(keepends=True)
        return "".join(lines[first.end_lineno :])
    return source


def leftovers(text: str, keep: Iterable[str] = KEEP) -> list[tuple[int, str]]:
    """``(line, name)`` of each code token in ``text`` that still looks asynchronous."""
    allowed = set(keep)
    found = []
    depth = 0
    for tok in _tokens(text, "generated code"):
        if tok.type in _STRING_STARTS:
            depth += 1
        elif tok.type in _STRING_ENDS:
            depth -= 1
        elif not depth and tok.type == tokenize.NAME and tok.string not in allowed and ASYNC_LOOKING.search(tok.string):
            found.append((tok.start[0], tok.string))
    return found


def unused_imports(text: str) -> list[tuple[int, str]]:
    """``(line, name)`` of each name the code imports but never uses (left to async-only code)."""
    tree = ast.parse(text)
    imported: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", None) != "__future__":
            for alias in node.names:
                imported[(alias.asname or alias.name).split(".")[0]] = node.lineno
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    used |= {
        node.value.id for node in ast.walk(tree) if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }
    exported = set()
    for node in tree.body:  # names listed in __all__ count as used
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exported |= {elt.value for elt in getattr(node.value, "elts", []) if isinstance(elt, ast.Constant)}
    return sorted((line, name) for name, line in imported.items() if name not in used and name not in exported)


def async_prose(text: str) -> list[tuple[int, str]]:
    """``(line, word)`` of each async word in a string or comment of ``text`` (not ``PROSE_KEPT``)."""
    found = []
    for tok in _tokens(text, "generated code"):
        if tok.start[0] <= 2:  # the header, which names the async source
            continue
        middle = tokenize.tok_name[tok.type] in ("FSTRING_MIDDLE", "TSTRING_MIDDLE")
        if (tok.type in (tokenize.STRING, tokenize.COMMENT) or middle) and tok.string not in PROSE_KEPT:
            found += [(tok.start[0], word) for word in ASYNC_WORDS.findall(tok.string)]
    return found


def async_imports(text: str) -> list[tuple[int, str]]:
    """``(line, module)`` of each import of an async-only module (``ASYNC_MODULES``) in ``text``."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if ASYNC_MODULES.match(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and ASYNC_MODULES.match(node.module):
            found.append((node.lineno, node.module))
    return found


def _refuse(found: list[tuple[int, str]], message: str) -> None:
    """Fail with ``message`` (its ``{}`` filled with where and what) when anything was ``found``."""
    if found:
        raise GenerationError(message.format(", ".join(f"line {line}: {name}" for line, name in found)))


def unasync_text(source: str, origin: str, used: set[str], *, test: bool = False) -> str:
    """The sync twin of ``source`` (the text of the async file ``origin``).

    ``test``: a test module (``TEST_FILES``), with ``TEST_RENAMES`` too and a header of its own,
    which may import no async-only module (``ASYNC_MODULES``).
    """
    short = origin.split("/src/", 1)[-1]
    try:
        body = _strip_docstring(source)
    except SyntaxError as exc:
        raise GenerationError(f"{origin}: does not parse: {exc}") from None
    renames = {**RENAMES, **TEST_RENAMES} if test else RENAMES
    body = _rewrite(_apply_markers(body, origin), origin, used, renames)
    if test:
        header = (
            f"# Generated by tools/unasync.py from {origin}; do not edit.\n"
            '"""The sync twin of the async test module named above, which explains it; regenerate: nox -s unasync."""\n'
        )
    else:
        header = (
            f"# Generated from {short} by tools/unasync.py: do not edit; run 'nox -s unasync'.\n"
            f'"""The sync twin of ``{short}``, generated from it (whose docstring explains it)."""\n'
        )
    text = header + body.rstrip("\n") + "\n"  # no blank line at the end where async-only code was
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise GenerationError(f"the code generated from {origin} does not parse: {exc}") from None
    _refuse(
        unused_imports(text),
        f"the code generated from {origin} imports what only async-only code uses ({{}}): "
        "end those imports with '# async-only' (on a line of their own)",
    )
    _refuse(
        leftovers(text),
        f"the code generated from {origin} still has asynchronous names ({{}}): "
        "add a rename to RENAMES (or the name to KEEP), or mark the code async-only",
    )
    if test:
        _refuse(
            async_imports(text),
            f"the sync tests generated from {origin} import an async-only module ({{}}); they must "
            "run with the core package alone: mark the import '# async-only' or import the sync one",
        )
    return text


def generate(
    files: Mapping[str, str] | None = None,
    root: Path | None = None,
    test_files: Mapping[str, str] | None = None,
) -> dict[Path, str]:
    """The text of every generated file, by its path (``FILES`` and ``TEST_FILES`` under ``ROOT``
    by default; with ``files`` given, no test module unless ``test_files`` names some)."""
    if files is None:
        files = FILES
        test_files = TEST_FILES if test_files is None else test_files
    root = ROOT if root is None else root
    generated = {}
    for kind, table, rules in (("code", files, RENAMES), ("tests", test_files or {}, TEST_RENAMES)):
        if not table:
            continue
        used: set[str] = set()
        for source, target in table.items():
            generated[root / target] = unasync_text((root / source).read_text(), source, used, test=kind == "tests")
        unused = [name for name in rules if name not in used]
        if unused:
            name = "RENAMES" if rules is RENAMES else "TEST_RENAMES"
            raise GenerationError(f"renames never used (remove them from {name}): {unused}")
    return generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a generated file is stale")
    args = parser.parse_args(argv)
    try:
        generated = generate()
    except GenerationError as exc:
        print(f"tools/unasync.py: {exc}", file=sys.stderr)
        return 2
    stale = 0
    for path, text in generated.items():
        for line, word in async_prose(text):
            print(
                f"{path.relative_to(ROOT)}:{line}: {word!r} in a string or comment of the sync code: give the "
                "sync wording in the async source ('# async-only' / '# sync-only: ...')",
                file=sys.stderr,
            )
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        if not args.check:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
            continue
        stale += 1
        for number, (want, have) in enumerate(itertools.zip_longest(text.splitlines(), current.splitlines()), 1):
            if want != have:
                print(f"{path.relative_to(ROOT)}:{number}: is {have!r}, should be {want!r}")
                break
    if stale:
        print("generated code is stale: run 'nox -s unasync' (python tools/unasync.py) and commit the result")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
