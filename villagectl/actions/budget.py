"""The reward budget's rules moved to ``villagectl.ledger.budget`` (pure); the names stay importable here."""

from villagectl.ledger.budget import (  # noqa: F401
    CLOSED_STATES,
    DEFAULT_WARN_PERCENT,
    OVER_MODES,
    OVER_REFUSE,
    OVER_WARN,
    BudgetStatus,
    YearBase,
    over_mode,
    transfer_dates,
    year_base,
)
