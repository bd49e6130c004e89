"""The `sopress` command's entry point: the first layout worker starts before the CLI is imported.

A command that lays out waits for a worker to import WeasyPrint (about 0.5 s) and, for one
handout, for little else. Started here, the worker imports while the parent imports the CLI
and reads the sources, rather than after the CLI; a command that then has nothing to lay out
ends it at once.
"""

from __future__ import annotations

import sys

LAYING_OUT = ("build", "handout")


def main() -> None:
    from sopress.write import pool

    if lays_out(sys.argv[1:]):
        pool.head_start()
    try:
        from sopress.cli import main as cli

        cli()
    finally:
        pool.drop_head_start()


def lays_out(args: list[str]) -> bool:
    """Whether a command line will likely lay out a PDF: `build` (unless only EPUB) or `handout`.

    A guess from the words alone (click parses them later): a wrong guess costs a worker started
    for nothing, or the head start.
    """
    if "--help" in args or "-h" in args:
        return False
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command not in LAYING_OUT:
        return False
    formats = [value for option, value in zip(args, args[1:]) if option == "--format"]
    formats += [arg.split("=", 1)[1] for arg in args if arg.startswith("--format=")]
    return not formats or bool({"pdf", "all"} & set(formats))
