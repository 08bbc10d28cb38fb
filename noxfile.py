"""Every gate of the project: lint, types, tests per package combination and Python, demo, bench.

``nox`` runs the default set (what CI runs); ``nox -s demo`` runs the example end to end;
``nox -s build`` writes the wheels and sdists to dist/; ``nox -s bench`` runs the benchmarks.
On a machine with only Python, ``python3 dev.py test`` / ``demo`` / ``build`` set up nox first.
Python 3.9-3.13 are looked up on PATH and in
pyenv's versions folder; a missing one fails the run instead of being skipped.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CORE = "./packages/core"
ASYNC = "./packages/async"
STREAM = "./packages/stream"
ALL_PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
SERVER_PYTHON = "3.11"
SERVER_REQUIREMENTS = ["bentoml==1.4.*", "pillow", "numpy", "pandas"]
# flit_core: the wheel test builds; pytest-timeout: every test has a time limit (pyproject.toml);
# h11: the oracle of tests/conformance (never a runtime dependency).
TEST_REQUIREMENTS = ["pytest>=8", "pytest-timeout>=2.2", "hypothesis>=6.100", "flit_core>=3.12,<4", "h11>=0.14"]
#: Tracing is tested with the OpenTelemetry SDK in the "all" combination (and type-checked).
OTEL_REQUIREMENTS = ["opentelemetry-sdk>=1.20"]
# Optional libraries whose values bentoclient converts; core-only runs prove it works without them.
MEDIA_REQUIREMENTS = ["pillow", "numpy", "pandas"]

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = False


def _add_pyenv_pythons_to_path() -> None:
    """Let nox find pyenv's interpreters even when only one of them is on PATH."""
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    root = root or os.path.expanduser("~/.pyenv")
    bins = sorted(glob.glob(os.path.join(root, "versions", "*", "bin")))
    if bins:
        os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *bins])


_add_pyenv_pythons_to_path()


def _venv_tool_cmd(python: str, *packages: str) -> list[str]:
    if shutil.which("uv"):
        return ["uv", "pip", "install", "--quiet", "--python", python, *packages]
    return [python, "-m", "pip", "install", "--quiet", *packages]


def _find_python(version: str) -> str | None:
    """``python<version>`` from PATH (pyenv's included), else one uv has or downloads, as nox
    itself does for a session's interpreter (``--download-python auto``, with uv)."""
    found = shutil.which(f"python{version}")
    if found is None and shutil.which("uv"):
        subprocess.run(["uv", "python", "install", version], capture_output=True, check=False)
        answer = subprocess.run(["uv", "python", "find", version], capture_output=True, text=True, check=False)
        found = answer.stdout.strip() or None
    return found


#: The newest release of each BentoML server line the client is tested against, with the pins
#: each needs to start today: 1.2 and 1.3 import ``pkg_resources`` (through ``fs``), which
#: setuptools 70 removed, and 1.2.20 fails to start with pydantic 2.9 or newer.
SERVER_LINES: dict[str, list[str]] = {
    "1.2": ["bentoml==1.2.*", "pydantic<2.9", "setuptools<70", "pillow", "numpy", "pandas"],
    "1.3": ["bentoml==1.3.*", "setuptools<70", "pillow", "numpy", "pandas"],
    "1.4": SERVER_REQUIREMENTS,
}
NEWEST_LINE = "1.4"


def server_override_var(line: str) -> str:
    """The environment variable naming a shared ``bentoml`` executable of ``line``:
    ``BENTOCLIENT_BENTOML`` for the newest line, ``BENTOCLIENT_BENTOML_1_2`` for 1.2, ..."""
    return "BENTOCLIENT_BENTOML" if line == NEWEST_LINE else "BENTOCLIENT_BENTOML_" + line.replace(".", "_")


def bentoml_server(session: nox.Session, line: str = NEWEST_LINE) -> str:
    """The ``bentoml`` executable of a venv that holds one server line only (made once).

    ``BENTOCLIENT_BENTOML`` (1.4) or ``BENTOCLIENT_BENTOML_1_2`` / ``_1_3`` set in the environment
    names one to use instead (a server venv shared between checkouts)."""
    override = os.environ.get(server_override_var(line), "").strip()
    if override:
        return override
    requirements = SERVER_LINES[line]
    env = ROOT / ".nox" / ("_bentoml-server" if line == NEWEST_LINE else f"_bentoml-server-{line}")
    python = env / "bin" / "python"
    marker = env / ".requirements"
    wanted = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    if not (python.exists() and marker.exists() and marker.read_text() == wanted):
        interpreter = _find_python(SERVER_PYTHON)
        if interpreter is None:
            session.error(f"python{SERVER_PYTHON} is needed to run the BentoML server and was not found")
        shutil.rmtree(env, ignore_errors=True)
        session.run(interpreter, "-m", "venv", str(env), external=True)
        session.run(*_venv_tool_cmd(str(python), *requirements), external=True)
        marker.write_text(wanted)
    return str(env / "bin" / "bentoml")


COMBOS = {
    "core": [CORE],
    "core+async": [CORE, ASYNC],
    "core+stream": [CORE, STREAM],
    "all": [CORE, ASYNC, STREAM],
}


# Tests of an optional package live in their own folder, collected only where it is installed.
OPTIONAL_TEST_DIRS = {
    "tests/integration/async_client": {"async"},
    "tests/integration/streams": {"stream"},
    "tests/integration/async_streams": {"async", "stream"},
    "tests/faults_async": {"async"},
    "tests/faults_stream": {"stream"},
    "tests/faults_async_stream": {"async", "stream"},
    "tests/testing_stream": {"stream"},
    # The documentation's examples use every package: run where all are installed.
    "tests/integration/docs": {"async", "stream"},
    "tests/cli/streams": {"stream"},
    "tests/cli/async_client": {"async"},
    # Tracing needs the OpenTelemetry SDK, which the "all" combination installs.
    "tests/tracing": {"otel"},
}
#: The per-line tests: run by the server_lines sessions only, against each line (1.4 included).
LINE_ONLY_TESTS = ["tests/integration/lines", "tests/integration/lines_streams"]
LOAD_TESTS = "tests/integration/load"
# The async client's load tests (map() through a server restart): once, with the async package.
LOAD_ASYNC_TESTS = "tests/integration/load_async"
# Scale-out across processes with Dask distributed: once, with dask[distributed] and pandas.
SCALE_TESTS = "tests/scale"
SCALE_REQUIREMENTS = ["dask[distributed,dataframe]", "pandas"]
# mypy and ruff run on generated typed clients: a session of their own that installs both.
TYPED_CLIENT_TESTS = "tests/typed_clients"
TYPED_CLIENT_REQUIREMENTS = ["mypy>=1.10", "ruff>=0.6"]
# What a combination re-runs of the core suite: the pure tests, and the file tests, whose
# results change with Pillow/numpy/pandas installed (the rest is the same code as core-only).
# tests/conformance runs every transport the combination installs.
COMBO_CORE_TESTS = ["tests/unit", "tests/packaging", "tests/conformance", "tests/integration/test_files.py"]


def _pytest_args(combo: str) -> list[str]:
    if combo == "core":
        ignored = [LOAD_TESTS, LOAD_ASYNC_TESTS, SCALE_TESTS, TYPED_CLIENT_TESTS, *OPTIONAL_TEST_DIRS, *LINE_ONLY_TESTS]
        return ["tests", *(f"--ignore={d}" for d in ignored)]
    installed = {"async", "stream", "otel"} if combo == "all" else set(combo.split("+")[1:])
    own = [d for d, needs in OPTIONAL_TEST_DIRS.items() if needs <= installed]
    if combo == "all":
        return COMBO_CORE_TESTS + own
    # One sibling without the other: its integration tests and the packaging checks prove it
    # stands alone; the pure, conformance and fault suites run with everything installed, on
    # the same Python, in "all".
    return ["tests/packaging", *(d for d in own if not d.startswith("tests/faults"))]


def _run_tests(session: nox.Session, combo: str, *pytest_args: str, line: str = NEWEST_LINE) -> None:
    media = [] if combo == "core" else MEDIA_REQUIREMENTS
    otel = OTEL_REQUIREMENTS if combo == "all" else []
    session.install(*COMBOS[combo], *TEST_REQUIREMENTS, *media, *otel)
    env = {"BENTOCLIENT_BENTOML": bentoml_server(session, line), "BENTOCLIENT_COMBO": combo}
    if combo != "core" and session.python in FULL_CORE_PYTHONS:
        # The core-only session on this Python held the sync transport to every conformance case.
        env["BENTOCLIENT_CONFORMANCE"] = "async"
    session.run("pytest", *(pytest_args or _pytest_args(combo)), *session.posargs, env=env)


#: Where the core-only session runs the whole suite, real `bentoml serve` included: the oldest
#: and the newest Python (3.11 runs the integration suite in `server_lines`, against the
#: older BentoML lines, with every package).  The others run the pure, packaging and fault
#: suites (everything that exercises the client's own code paths against loopback servers of
#: ours), which keeps a full `nox` within its time budget on two cores.
FULL_CORE_PYTHONS = {"3.9", "3.13"}
#: (tests/conformance runs where the whole suite does, and with every transport in "all".)
MIDDLE_PYTHON_TESTS = ["tests/unit", "tests/packaging", "tests/faults"]


@nox.session(python=ALL_PYTHONS, tags=["tests"])
def tests(session: nox.Session) -> None:
    """Core alone, with no third-party package installed: unit, fault and integration tests."""
    if session.python in FULL_CORE_PYTHONS:
        _run_tests(session, "core")
    else:
        _run_tests(session, "core", *MIDDLE_PYTHON_TESTS)


#: Every combination on the newest Python (httpx2 under the async package); everything together
#: on the oldest (httpx), so both httpx lines run the async and stream suites.
COMBO_RUNS = [("3.9", "all"), ("3.13", "core+async"), ("3.13", "core+stream"), ("3.13", "all")]


#: "all" on the oldest Python is there for the other httpx line (httpx, not httpx2): the suites
#: of the async and stream packages, the unit tests (some drive them) and the async transports'
#: conformance.  What does not depend on the HTTP library (packaging, file conversions, the docs'
#: examples, the CLI, tracing) runs in "all" on the newest Python and in 3.9's core-only session.
HTTPX_LINE_TESTS = [
    "tests/unit",
    "tests/conformance",
    "tests/faults_async",
    "tests/faults_stream",
    "tests/faults_async_stream",
    "tests/testing_stream",
    "tests/integration/async_client",
    "tests/integration/streams",
    "tests/integration/async_streams",
]


@nox.session(tags=["tests"])
@nox.parametrize(("python", "combo"), COMBO_RUNS)
def tests_combo(session: nox.Session, combo: str) -> None:
    """The optional packages installed beside core."""
    if (session.python, combo) == (ALL_PYTHONS[0], "all"):
        _run_tests(session, combo, *HTTPX_LINE_TESTS)
    else:
        _run_tests(session, combo)


#: What runs against the older server lines: the integration tests that exercise the server
#: (sync, async, files, streams, tasks, errors, parity with that line's own BentoML client) and
#: the per-line tests; the unit, fault and packaging suites do not depend on the server's line.
#: Against 1.4, which every other session uses, only the per-line tests run here.
LINE_TESTS = [
    "tests/integration/test_sync_client.py",
    "tests/integration/test_files.py",
    "tests/integration/test_tasks.py",
    "tests/integration/test_bentoml_parity.py",
    "tests/integration/async_client",
    "tests/integration/streams",
    "tests/integration/async_streams",
    *LINE_ONLY_TESTS,
]


@nox.session(python=SERVER_PYTHON, tags=["tests", "lines"])
@nox.parametrize("line", list(SERVER_LINES))
def server_lines(session: nox.Session, line: str) -> None:
    """The integration suite against the newest release of each BentoML line (1.2.x, 1.3.x; 1.4.x:
    the per-line tests), every package installed; what a line cannot do is a strict expected
    failure (tests/serverlines.py)."""
    _run_tests(session, "all", *(LINE_ONLY_TESTS if line == NEWEST_LINE else LINE_TESTS), line=line)


nox.options.sessions = [
    "lint",
    "typecheck",
    "tests",
    "tests_combo",
    "server_lines",
    "typed_clients",
    "typed_imports",
    "load",
    "load_async",
    "scale",
    "packaging",
    "docs",
    "install",
]


@nox.session(python=SERVER_PYTHON, tags=["tests"])
def typed_clients(session: nox.Session) -> None:
    """Typed clients from ``bentoclient gen`` pass mypy --strict and ruff; wrong calls are type errors."""
    session.install(CORE, ASYNC, STREAM, *TEST_REQUIREMENTS, *TYPED_CLIENT_REQUIREMENTS)
    session.run("pytest", TYPED_CLIENT_TESTS, *session.posargs)


# A user's typed script per combination: what that combination offers passes mypy --strict.
TYPED_IMPORT_SCRIPTS = {
    "core": ["core_usage.py"],
    "core+async": ["core_usage.py", "async_usage.py"],
    "core+stream": ["core_usage.py", "stream_usage.py"],
    "all": ["core_usage.py", "async_usage.py", "stream_usage.py"],
}


@nox.session(python=SERVER_PYTHON, tags=["tests"])
@nox.parametrize("combo", list(COMBOS))
def typed_imports(session: nox.Session, combo: str) -> None:
    """mypy --strict over tests/typing's scripts with only that combination installed (not
    editable, as users get it), then run them (they use bentoclient.testing: no server)."""
    session.install(*COMBOS[combo], "mypy>=1.10")
    scripts = [str(ROOT / "tests" / "typing" / name) for name in TYPED_IMPORT_SCRIPTS[combo]]
    with session.chdir(session.create_tmp()):  # outside the source tree: the installed packages only
        session.run("mypy", "--strict", "--no-incremental", *scripts)
        for script in scripts:
            session.run("python", script)


@nox.session(python=SERVER_PYTHON)
def load(session: nox.Session) -> None:
    """10,000 calls from 8 threads, fork, pickle, and a 10,000-input map() through a server restart (once)."""
    _run_tests(session, "core", LOAD_TESTS)


@nox.session(python=SERVER_PYTHON)
def load_async(session: nox.Session) -> None:
    """The async client's 10,000-input map() through a server restart, and a cancelled map (once)."""
    _run_tests(session, "core+async", LOAD_ASYNC_TESTS)


@nox.session(python=SERVER_PYTHON)
def scale(session: nox.Session) -> None:
    """map() and dataframe partitions across a Dask LocalCluster of worker processes (once)."""
    session.install(*SCALE_REQUIREMENTS)
    _run_tests(session, "core", SCALE_TESTS)


@nox.session(python=SERVER_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and the generated sync driver and sync tests are current."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("python", "tools/unasync.py", "--check")


# The documentation site: mkdocs with the material theme, the API reference by mkdocstrings.
DOCS_REQUIREMENTS = [
    "mkdocs>=1.6.1,<2",
    "mkdocs-material>=9.7,<10",
    "mkdocstrings[python]>=1.0,<2",
    "mkdocstrings-python>=2.0,<3",
    "ruff>=0.6",  # formats the signatures on the API pages
]


@nox.session(python=SERVER_PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation site and its API reference from the docstrings, into site/ (mkdocs
    build --strict: a broken link, a page missing from the nav or a docstring naming something
    that does not exist fails it)."""
    session.install(*DOCS_REQUIREMENTS, CORE, ASYNC, STREAM)  # installed: the reference checks cross-package names
    session.run("mkdocs", "build", "--strict", "--clean", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(python=SERVER_PYTHON)
def unasync(session: nox.Session) -> None:
    """Regenerate the sync driver, the sync stream and the sync tests from their async sources (tools/unasync.py)."""
    session.run("python", "tools/unasync.py")  # the standard library only: no formatter, nothing to install


@nox.session(python=[SERVER_PYTHON, "3.9"])
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the packages, tests, examples and this file; on 3.9 (httpx, not httpx2)
    over the packages, so both httpx lines the async package supports are type-checked."""
    # httpx too: the benchmarks' raw httpx loop runs in BentoML's environment, which has httpx 0.28.
    session.install("mypy>=1.10", "nox", "httpx", CORE, ASYNC, STREAM, *TEST_REQUIREMENTS, *OTEL_REQUIREMENTS)
    if session.python == "3.9":
        session.run("mypy", "--strict", "packages/core/src", "packages/async/src", "packages/stream/src")
    else:
        session.run("mypy", "--strict", *_typed_paths())


def _typed_paths() -> list[str]:
    paths = ["packages/core/src", "packages/async/src", "packages/stream/src", "noxfile.py", "dev.py"]
    paths += [p for p in ("tests", "examples", "benchmarks", "tools") if (ROOT / p).is_dir()]
    return paths


@nox.session(python=SERVER_PYTHON)
def demo(session: nox.Session) -> None:
    """Start the example BentoML service on 127.0.0.1 and call it through every client."""
    session.install(CORE, ASYNC, STREAM)
    bentoml = bentoml_server(session)
    sys.path.insert(0, str(ROOT / "tests"))
    from bentoserve import serve

    with serve("service:Demo", cwd=ROOT / "examples", bentoml=bentoml) as url:
        session.run("python", "examples/demo.py", url)


@nox.session(python=SERVER_PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks against BentoML's own client and the raw http.client/httpx limit.

    ``nox -s bench -- --quick`` is a smoke run; ``-- --help`` lists the options (profiling too).
    """
    session.install(CORE, ASYNC, STREAM, "httpx2")
    env = {"BENTOCLIENT_BENTOML": bentoml_server(session)}
    session.run("python", "benchmarks/run.py", *session.posargs, env=env)


def _requirements_of(wheel: Path) -> list[str]:
    """The third-party ``Requires-Dist`` lines of a built wheel (markers kept; ours left out)."""
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    found = []
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            requirement = line.split(":", 1)[1].strip()
            if not requirement.startswith("bentoclient"):
                found.append(requirement)
    return found


DIST = ROOT / "dist"
OURS = ("bentoclient-", "bentoclient_")  # the file names of our wheels and sdists


def _build_distributions(session: nox.Session, outdir: Path) -> list[Path]:
    """An sdist of each distribution, then the wheel built from that sdist, into ``outdir``."""
    session.install("build")
    installer = ["--installer", "uv"] if shutil.which("uv") else []
    for package in (CORE, ASYNC, STREAM):
        session.run("python", "-m", "build", *installer, "--outdir", str(outdir), package)
    built = sorted(p for p in outdir.iterdir() if p.name.startswith(OURS))
    wheels = [p for p in built if p.name.endswith(".whl")]
    if len(wheels) != 3 or len([p for p in built if p.name.endswith(".tar.gz")]) != 3:
        session.error(f"expected 3 wheels and 3 sdists, built: {[p.name for p in built]}")
    return wheels


@nox.session(python=SERVER_PYTHON)
def build(session: nox.Session) -> None:
    """Wheels and sdists of bentoclient, bentoclient-async and bentoclient-stream in dist/
    (ours there replaced), for ``pip install --find-links dist "bentoclient[async]"``."""
    DIST.mkdir(exist_ok=True)
    for old in DIST.iterdir():
        if old.name.startswith(OURS):
            old.unlink()
    _build_distributions(session, DIST)
    session.log(f"built in {DIST}: " + ", ".join(sorted(p.name for p in DIST.iterdir() if p.name.startswith(OURS))))


def readme_install_commands() -> list[str]:
    """The ``pip install`` lines of the README's "Install" section that run today (blocks
    after a ``<!-- not-run: ... -->`` line, such as the PyPI form, are left out)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Install", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for n, block in enumerate(section.split("```bash\n")[1:], start=1):
        before = section.split("```bash\n")[n - 1].rstrip().splitlines()
        if before and before[-1].startswith("<!-- not-run:"):
            continue
        for line in block.split("```", 1)[0].splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("pip install "):
                commands.append(line)
    return commands


def _wanted_packages(command: str) -> set[str]:
    """What an install command promises: core always; async/stream by extra or by path."""
    wanted = {"bentoclient"}
    for name in ("async", "stream"):
        if f"[{name}" in command or f",{name}" in command or f"packages/{name}" in command or "[all]" in command:
            wanted.add(f"bentoclient_{name}")
    return wanted


@nox.session(python=SERVER_PYTHON)
def install(session: nox.Session) -> None:
    """The README's install commands, run as written (from the repository's top, after
    ``nox -s build``), each in a fresh virtualenv made with ``python -m venv`` and pip: what
    each promises imports, and nothing more comes with it."""
    import shlex
    import tempfile

    commands = readme_install_commands()
    if len(commands) < 4 or not any("--find-links dist" in c for c in commands):
        session.error(f"the README's Install section has fewer commands than expected: {commands}")
    build(session)
    check = (
        "import importlib.util, sys; wanted = set(sys.argv[1:]); "
        "names = ('bentoclient', 'bentoclient_async', 'bentoclient_stream'); "
        "found = {n for n in names if importlib.util.find_spec(n)}; "
        "assert found == wanted, (found, wanted); "
        "from bentoclient import SyncHTTPClient; "
        "'bentoclient_async' in wanted and __import__('bentoclient').AsyncHTTPClient"
    )
    for command in commands:
        with tempfile.TemporaryDirectory(prefix="bentoclient-install-") as tmp:
            venv = Path(tmp) / "venv"
            session.run("python", "-m", "venv", str(venv), silent=True)
            python = str(venv / "bin" / "python")
            args = shlex.split(command)[2:]  # after "pip install"
            session.log(f"README: {command}")
            session.run(python, "-m", "pip", "install", "--quiet", *args, external=True)
            with session.chdir(tmp):  # outside the repository: the installed packages only
                session.run(python, "-c", check, *sorted(_wanted_packages(command)), external=True)


@nox.session(python=SERVER_PYTHON)
def packaging(session: nox.Session) -> None:
    """Build the three wheels and sdists, install ``bentoclient[async,stream]`` from those files
    alone into a fresh virtualenv outside the repository, and use it (console script and Python)
    against a real ``bentoml serve``; then vendor core's folder into a project and run it with
    ``python -I``."""
    import tempfile

    bentoml = bentoml_server(session)
    with tempfile.TemporaryDirectory(prefix="bentoclient-packaging-") as tmp:
        work = Path(tmp)
        dist = work / "dist"
        dist.mkdir()
        wheels = _build_distributions(session, dist)

        venv = work / "venv"
        python = venv / "bin" / "python"
        session.run("python", "-m", "venv", "--without-pip" if shutil.which("uv") else "--upgrade-deps", str(venv))
        # Third-party dependencies from the index first; then ours from the built files only.
        third_party = sorted({r for wheel in wheels for r in _requirements_of(wheel)})
        session.run(*_venv_tool_cmd(str(python), *third_party), external=True)
        ours = ("--no-index", "--find-links", str(dist), "bentoclient[async,stream]")
        session.run(*_venv_tool_cmd(str(python), *ours), external=True)

        sys.path.insert(0, str(ROOT / "tests"))
        from bentoserve import serve

        with serve("service:Demo", cwd=ROOT / "examples", bentoml=bentoml) as url:
            command = str(venv / "bin" / "bentoclient")
            listing = session.run(command, "schema", url, silent=True, external=True)
            if not isinstance(listing, str) or "service Demo" not in listing or "long_job" not in listing:
                session.error(f"bentoclient schema printed: {listing!r}")
            answer = session.run(
                command, "call", url, "summarize", "text=Built. Installed.", silent=True, external=True
            )
            if not isinstance(answer, str) or answer.strip() != "Built.":
                session.error(f"bentoclient call printed: {answer!r}")
            # A typed client written by the installed command, used by the installed package.
            session.run(command, "gen", url, "-o", str(work / "demo_client.py"), silent=True, external=True)
            use_generated = (
                "import sys; sys.path.insert(0, sys.argv[1]); from demo_client import DemoClient\n"
                "with DemoClient(sys.argv[2]) as c: assert c.summarize(text='Gen. Typed.') == 'Gen.'"
            )
            session.run(str(python), "-c", use_generated, str(work), url, external=True)
            proof = ROOT / "tests" / "packaging"
            shutil.copy(proof / "installed_proof.py", work)  # run from outside the repository
            session.run(str(python), str(work / "installed_proof.py"), url, external=True)

            project = work / "project"
            vendor = project / "myapp" / "_vendor"
            shutil.copytree(ROOT / CORE / "src" / "bentoclient", vendor / "bentoclient")
            (project / "myapp" / "__init__.py").write_text("")
            (vendor / "__init__.py").write_text("")
            session.run("python", "-I", str(proof / "vendored_proof.py"), str(project), url)
