"""The `ics-interop demo` command: its arguments here, the story (and the three systems) only when it runs.

Kept apart from `demo` so that building the command line's parser does not start up the
reference systems, FastAPI and SQLAlchemy for every other command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_demo_command"]


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import StoryFailed, play_hannahs_story

    try:
        play_hannahs_story(
            Path(args.folder) if args.folder else None,
            db_url=args.db,
            transport="http" if args.http else "in-process",
        )
    except StoryFailed as failure:
        sys.stdout.flush()
        print(f"\nThe story stopped: {failure.message}", file=sys.stderr)
        if failure.hint:
            print(f"To fix: {failure.hint}", file=sys.stderr)
        return 1
    return 0


def add_demo_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `demo [--folder DIR | --db URL] [--http]` to a command line's subcommands."""
    demo = subparsers.add_parser(
        "demo",
        help="play Hannah's story (seed §3.1) through the three reference systems and print what each sees",
        description="Start ContactPoint, National eCAF and an ICS, play Hannah's story from 2008 to 2010 through "
        "the standard's messages, and print, step by step, the messages and what each practitioner sees. "
        "Exit status 0 when the story played through, 1 when it stopped (with what went wrong and how to fix it).",
    )
    where = demo.add_mutually_exclusive_group()
    where.add_argument(
        "--folder", metavar="DIR", help="an empty folder for the SQLite stores (default: a fresh temporary folder)"
    )
    where.add_argument(
        "--db",
        metavar="URL",
        help="one empty database for all three systems, e.g. postgresql://user@host/db (table prefixes keep "
        "them apart)",
    )
    demo.add_argument(
        "--http", action="store_true", help="run each system as an HTTP service on 127.0.0.1; messages go over HTTP"
    )
    demo.set_defaults(run=_run_demo)
