"""The villagectl command line: parse arguments, call the library, print.

Commands live in one module per area; importing a module registers its commands
on ``app``, and the import order is the order of ``villagectl --help``: a clerk's
month first, then the shop, the year end, the cadres and the town office.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

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
    try:
        app(prog_name="villagectl")
        code = 0
    except SystemExit as exc:  # typer ends every command with sys.exit
        code = exc.code
    exit_now(code)


def exit_now(code: object) -> NoReturn:
    """End the process the way Python would, without freeing every object on the way out.

    A big ledger's sheets are millions of small objects and pandas a thousand modules: taking them
    apart one by one costs a ``check`` of 3,000 households about 0.1 s of nothing (mypy's
    ``hard_exit`` does the same). What a normal exit does that matters still happens, in its order:
    threads that are not daemons are waited for, the ``atexit`` functions run (pools, temporary
    folders, multiprocessing), and the output is flushed.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:  # what the interpreter runs first: thread pools told to stop, then threads joined
        shutdown()
    else:
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (villagectl … | head): nothing more to say there
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
