"""numpy's OpenBLAS to one thread, unless the user says otherwise (import this before pandas/numpy).

villagectl does no linear algebra; OpenBLAS still starts a thread per core when numpy is imported, which
costs about 0.1 s of CPU on every command (measured on ``balance`` of a 3,000-household ledger:
1.21 s → 1.07 s). ``OPENBLAS_NUM_THREADS`` already set in the environment is left as it is.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
