"""The villagectl command line: parse arguments, call the library, print.

Commands live in one module per area; importing them registers them on ``app``.
"""

from __future__ import annotations

from villagectl.cli import (  # noqa: F401  (importing a module registers its commands)
    account_commands,
    cadre_commands,
    cadre_doc_commands,
    event_commands,
    ledger_commands,
    monthly_commands,
    rollup_commands,
    run_commands,
    shop_commands,
    year_commands,
    year_doc_commands,
)
from villagectl.cli.app import app
from villagectl.cli.console import setup_streams

__all__ = ["app", "run"]


def run() -> None:
    setup_streams()
    app(prog_name="villagectl")


if __name__ == "__main__":
    run()
