"""The sample villages: 中坪村 (zhongping, a month of grid workers' sheets as villages make them) and
桃源村 (base140, a designed year), for ``villagectl demo`` and the tests."""

from villagectl.demo.base140 import (  # noqa: F401
    BASE140_DESIGN, BASE140_EVENTS, BASE140_GROUPS, BASE140_VILLAGE, BASE140_YEAR, base140_group, build_base140_samples,
    fill_base140_form,
)
from villagectl.demo.zhongping import ROSTER_DIR  # noqa: F401
from villagectl.demo.zhongping_folder import build_samples  # noqa: F401
