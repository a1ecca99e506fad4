"""Today, as the future-date checks see it (``cli.app.parse_date``).

One function so that the tests of fixed past scenarios can pin it
(tests/conftest.py); the tool itself always asks the system clock.
"""

from __future__ import annotations

import datetime as dt


def today() -> dt.date:
    return dt.date.today()
