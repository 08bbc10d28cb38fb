"""``bentoclient`` on the command line (also ``python -m bentoclient``); see ``docs/cli.md``."""

from __future__ import annotations

from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    from ._cli import main as run  # the CLI's imports are paid only when it runs

    return run(argv)


if __name__ == "__main__":
    raise SystemExit(main())
