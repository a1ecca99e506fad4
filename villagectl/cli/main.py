"""The villagectl command line: parse arguments, call the library, print.

Commands live in one module per area; importing a module registers its commands
on ``app``, and the import order is the order of ``villagectl --help``: a clerk's
month first, then the shop, the year end, the cadres and the town office.
"""

from __future__ import annotations

from villagectl.cli import ledger_commands  # noqa: F401,I001  init, check, balance, demo, households
from villagectl.cli import monthly_commands  # noqa: F401  inspect, score month/adjust, notice month, post month
from villagectl.cli import forms_commands  # noqa: F401  forms redeem / vote / cadre
from villagectl.cli import quarter_commands  # noqa: F401  notice quarter, post quarter (base-140 scheme)
from villagectl.cli import event_commands  # noqa: F401  event
from villagectl.cli import shop_commands  # noqa: F401  redeem, slip
from villagectl.cli import account_commands  # noqa: F401  passbook, transfer
from villagectl.cli import year_commands  # noqa: F401  score year, post year, vote
from villagectl.cli import year_doc_commands  # noqa: F401  notice year, report year
from villagectl.cli import cadre_commands  # noqa: F401  cadre
from villagectl.cli import cadre_doc_commands  # noqa: F401  notice cadre, notice commitments
from villagectl.cli import rollup_commands  # noqa: F401  rollup
from villagectl.cli import run_commands  # noqa: F401  run
from villagectl.cli import backup_commands  # noqa: F401  backups, diff, restore
from villagectl.cli.app import app
from villagectl.cli.console import setup_streams

__all__ = ["app", "run"]


def run() -> None:
    setup_streams()
    app(prog_name="villagectl")


if __name__ == "__main__":
    run()
