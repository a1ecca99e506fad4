"""The ledger workbook's sheets and columns (DESIGN §3): the clerk's interface.

The tables of the sheets; the values their cells may hold and the journal's entry types are in
``schema.choices``, what a table is in ``schema.sheet_spec`` (both imported here under the same names).
"""

from __future__ import annotations

from villagectl.schema.choices import (  # noqa: F401 - schema.<NAME> is how the modules read them
    CADRE_KINDS, CADRE_PERIODS, CADRE_STATES, EARNING_TYPES, ENTRY_AWARD, ENTRY_BONUS, ENTRY_COLLECT,
    ENTRY_DEDUCTION, ENTRY_MONTHLY, ENTRY_OPENING, ENTRY_REDEEM, ENTRY_REVERSAL, ENTRY_TRANSFER_IN,
    ENTRY_TRANSFER_OUT, ENTRY_TYPES, EVENT_STATES, HOUSEHOLD_STATES, HOUSEHOLD_TYPES, INDICATOR_TYPES,
    MONTH_ROW_STATES, PERIOD_STATES, ROW_CORRECTION, ROW_SUPPLEMENT, RULE_PERIODS, RULE_TYPES, SPENDING_TYPES,
    YES_NO,
)
from villagectl.schema.sheet_spec import CLERK, TOOL, Column, SheetSpec  # noqa: F401

C = Column

SETTINGS = SheetSpec(
    "参数",
    CLERK,
    (C("键", width=22), C("值", width=26), C("说明", width=60)),
    "村名、每分折合元数、公示天数、人均奖励经费等设置，每行一项",
    key="键",
)
RULES = SheetSpec(
    "规则",
    CLERK,
    (
        C("编码", width=8),
        C("类别", width=12),
        C("项目", width=26),
        C("分值", "number", width=8),
        C("类型", width=9, choices=RULE_TYPES),
        C("周期", width=7, choices=RULE_PERIODS),
        C("上限", "number", width=8, required=False),
        C("步长", "number", width=7, required=False),
        C("同义词", width=24, required=False),  # one per line, or separated by ；
        C("说明", width=50, required=False),
    ),
    "积分规则目录：检查项（满分）、基础分、加分、扣分、否决项",
    key="编码",
)
BANDS = SheetSpec(
    "换算",
    CLERK,
    (
        C("下限", "number", width=8),
        C("含下限", width=8, choices=YES_NO),
        C("上限", "number", width=8),
        C("含上限", width=8, choices=YES_NO),
        C("积分", "number", width=8),
        C("说明", width=40, required=False),
    ),
    "得分换算积分的档次，上下限是否包含写明“是/否”",
)
HOUSEHOLDS = SheetSpec(
    "户籍",
    CLERK,
    (
        C("户号", width=10),
        C("户主", width=10),
        C("组别", width=10),
        C("人口", "int", width=6),
        C("参评人数", "int", width=9, required=False),
        C("户类型", width=10, choices=HOUSEHOLD_TYPES),
        C("联系电话", width=14, required=False),
        C("身份证号", width=21, required=False),
        C("状态", width=7, choices=HOUSEHOLD_STATES),
        C("备注", width=24, required=False),
    ),
    "农户名册，户号是唯一标识",
    key="户号",
)
CADRES = SheetSpec(
    "干部",
    CLERK,
    (
        C("编号", width=8),
        C("姓名", width=10),
        C("职务", width=14),
        C("类别", width=10, choices=CADRE_KINDS),
        C("状态", width=7, choices=CADRE_STATES, required=False),
        C("联系电话", width=14, required=False),
    ),
    "村干部和村民代表名单",
    key="编号",
)
INDICATORS = SheetSpec(
    "考核指标",
    CLERK,
    (
        C("编码", width=8),
        C("对象", width=10, choices=CADRE_KINDS),
        C("指标", width=30),
        C("满分", "number", width=8),
        C("类型", width=10, choices=INDICATOR_TYPES),
        C("说明", width=50, required=False),
        C("年度", "int", width=7, required=False),
    ),
    "村干部、村民代表考核指标和负面行为清单（每年可调整：“年度”空着的行每年适用；填了年度的行只用于那一年，并取代空着的行）",
    key="编码",
)
INSPECTIONS = SheetSpec(
    "检查记录",
    TOOL,
    (
        C("月份", "month", width=9),
        C("户号", width=10),
        C("户主", width=10),
        C("组别", width=8),
        C("合计", "number", width=7),
        C("来源文件", width=28),
        C("工作表", width=10),
        C("行号", "int", width=6),
        C("文件哈希", width=18),
        C("导入时间", width=18),
        C("备注", width=20, required=False),
    ),
    "导入的每户每月检查得分（每个检查项一列，列名为“编码 项目”，在组别与合计之间）及其来源",
    extensible=True,
)
MONTHLY = SheetSpec(
    "月度得分",
    TOOL,
    (
        C("月份", "month", width=9),
        C("户号", width=10),
        C("户主", width=10),
        C("组别", width=8),
        C("总分", "number", width=7),
        C("名次", "int", width=6),
        C("组内名次", "int", width=8),
        C("积分", "number", width=6),
        C("奖励", "number", width=6),
        C("曝光台", width=7),
        C("状态", width=7, choices=MONTH_ROW_STATES),
        C("备注", width=20, required=False),
        # while a 补录/更正 of a posted row waits to be posted: what was posted (总分…；积分…；奖励…；曝光台…)
        C("原值", width=24, required=False),
    ),
    "每月每户的类别得分、总分、名次、积分（类别列在组别与总分之间）",
    extensible=True,
)
JOURNAL = SheetSpec(
    "积分流水",
    TOOL,
    (
        C("流水号", width=12),
        C("日期", "date", width=11),
        C("户号", width=10),
        C("成员", width=9, required=False),
        C("类型", width=9, choices=ENTRY_TYPES),
        C("积分", "number", width=7),
        C("余额", "number", width=8),
        C("摘要", width=34),
        C("关联", width=12),
        C("经办人", width=9),
        C("校验", width=14),
    ),
    "只增不改的积分流水，更正用冲正",
    key="流水号",
)
SHOP = SheetSpec(
    "商品",
    CLERK,
    (
        C("名称", width=16),
        C("单位", width=6),
        C("积分单价", "number", width=9),
        C("库存", "number", width=7),
        C("备注", width=24, required=False),
    ),
    "爱心超市可兑换的物品；兑换时减库存，作废时加回",
    key="名称",
)
REDEMPTIONS = SheetSpec(
    "兑换记录",
    TOOL,
    (
        C("单号", width=15),
        C("日期", "date", width=11),
        C("户号", width=10),
        C("户主", width=10, required=False),
        C("物品", width=16),
        C("数量", "number", width=6, required=False),
        C("单位", width=6, required=False),
        C("积分单价", "number", width=9, required=False),
        C("积分", "number", width=7),
        C("金额", "number", width=8),
        C("兑换前余额", "number", width=10, required=False),
        C("兑换后余额", "number", width=10, required=False),
        C("流水号", width=9, required=False),
        C("核验码", width=13, required=False),
        C("状态", width=7, choices=("未领取", "已领取", "作废"), required=False),
        C("领取日期", "date", width=11, required=False),
        C("经办人", width=9, required=False),
        C("说明", width=30, required=False),
        C("来源", width=28, required=False),
    ),
    "每一次兑换：一张兑换单（单号）的每种物品一行；状态 未领取 / 已领取 / 作废",
)
ANNUAL = SheetSpec(
    "年度评定",
    TOOL,
    (
        C("年度", "int", width=7),
        C("户号", width=10),
        C("户主", width=10),
        C("组别", width=8),
        C("年度积分", "number", width=9),
        C("名次", "int", width=6),
        C("组内名次", "int", width=8),
        C("星级", width=12),
        C("牌级", width=8),
        C("榜单", width=8),
        C("曝光台", "int", width=7),
        C("否决", width=6),
        C("享受村级福利", width=12, choices=YES_NO),
        C("投票数", "int", width=7),
        C("不合格票", "int", width=8),
        C("状态", width=7, choices=PERIOD_STATES),
        C("备注", width=36, required=False),
    ),
    "每年每户的年度积分、名次、星级、牌级、红黑榜（备注里的否决原因只给文书看，不上公示）",
)
VOTES = SheetSpec(
    "互评",
    TOOL,
    (
        C("年度", "int", width=7),
        C("户号", width=10),
        C("户主", width=10),
        C("投票数", "int", width=8),
        C("不合格票", "int", width=9),
        C("来源", width=36),
    ),
    "年终村民互评的计票结果（孟家湾乡办法：不合格票占1/3以上列入黑榜）",
)
COMMITMENTS = SheetSpec(
    "履职承诺",
    CLERK,
    (
        C("年度", "int", width=7),
        C("编号", width=8),
        C("姓名", width=10),
        C("类型", width=7, choices=("共性", "个性")),
        C("承诺内容", width=50),
        C("完成情况", width=20, required=False),
    ),
    "村干部、村民代表每年年初的共性和个性履职承诺，用于公示",
    optional=True,
)
CADRE_SCORES = SheetSpec(
    "考核评分",
    TOOL,
    (
        C("年度", "int", width=7),
        C("期间", width=7, choices=CADRE_PERIODS),
        C("编号", width=8),
        C("姓名", width=10),
        C("考核人", width=10),
        C("编码", width=8),
        C("指标", width=20),
        C("得分", "number", width=7),
        C("来源", width=36),
    ),
    "考核人对每人每项指标的打分（导入）",
)
CADRE_VOTES = SheetSpec(
    "民主评议",
    TOOL,
    (
        C("年度", "int", width=7),
        C("期间", width=7, choices=CADRE_PERIODS),
        C("编号", width=8),
        C("姓名", width=10),
        C("优秀", "int", width=6),
        C("称职", "int", width=6),
        C("基本称职", "int", width=8),
        C("不称职", "int", width=7),
        C("来源", width=36),
    ),
    "民主评议计票：每人得到的优秀、称职、基本称职、不称职票数（导入）",
)
CADRE_NEGATIVES = SheetSpec(
    "负面记录",
    TOOL,
    (
        C("年度", "int", width=7),
        C("期间", width=7, choices=CADRE_PERIODS),
        C("日期", "date", width=11),
        C("编号", width=8),
        C("姓名", width=10),
        C("编码", width=8),
        C("事项", width=24),
        C("次数", "number", width=6),
        C("说明", width=30),
        C("来源", width=36),
    ),
    "负面行为清单的记录（导入）",
)
DUTY_RECORDS = SheetSpec(
    "代表履职",
    TOOL,
    (
        C("年度", "int", width=7),
        C("日期", "date", width=11),
        C("编号", width=8),
        C("姓名", width=10),
        C("事项", width=24),
        C("次数", "number", width=6),
        C("说明", width=30),
        C("来源", width=36),
    ),
    "村民代表日常履职记录：参加会议、走访群众、办理事项（导入）",
)
CADRE_RESULTS = SheetSpec(
    "干部考核",
    TOOL,
    (
        C("年度", "int", width=7),
        C("期间", width=7),
        C("编号", width=8),
        C("姓名", width=10),
        C("职务", width=12),
        C("类别", width=10),
        C("指标得分", "number", width=9),
        C("负面扣分", "number", width=9),
        C("民主评议", "number", width=9),
        C("综合得分", "number", width=9),
        C("名次", "int", width=6),
        C("等次", width=9),
        C("标记", width=16),
        C("考核报酬", "number", width=9),
        C("投票数", "int", width=7),
        C("不称职票", "int", width=8),
        C("状态", width=7, choices=PERIOD_STATES),
        C("备注", width=36, required=False),
    ),
    "每年（或半年）每人的考核结果：指标得分 × 70% + 民主评议 × 30%，等次、标记、考核报酬",
    extensible=True,
)
EVENTS = SheetSpec(
    "积分事件",
    TOOL,
    (
        C("事件号", width=10),
        C("日期", "date", width=11),
        C("户号", width=10),
        C("户主", width=10),
        C("成员", width=9, required=False),
        C("编码", width=8),
        C("项目", width=24),
        C("类型", width=7),
        C("次数", "number", width=6),
        C("积分", "number", width=7),
        C("说明", width=30),
        C("状态", width=7, choices=EVENT_STATES),
        C("申报人", width=9),
        C("初审人", width=9),
        C("初审时间", "datetime", width=18),
        C("公示开始", "date", width=11),
        C("公示截止", "date", width=11),
        C("审核人", width=9),
        C("审核时间", "datetime", width=18),
        C("流水号", width=10),
        C("来源", width=28, required=False),
    ),
    "加分、扣分、否决事件及其审核流程：申报 → 初审 → 公示 → 审核 → 入账",
    key="事件号",
)
PERIODS = SheetSpec(
    "期间",
    TOOL,
    (
        C("期间", width=9),
        C("状态", width=7, choices=PERIOD_STATES),
        C("计分时间", "datetime", width=18),
        C("公示开始", "date", width=11),
        C("公示截止", "date", width=11),
        C("入账日期", "date", width=11),
        C("经办人", width=9),
        C("说明", width=40, required=False),
        # the journal's anchor right after the posting (积分流水 row count and last 校验), see ledger/journal.py
        C("流水行数", "int", width=8, required=False),
        C("流水末校验", width=16, required=False),
        # a supplement (期间 "2026-09 补录1"): the posted months whose rows it changes
        C("涉及月份", width=20, required=False),
    ),
    "每个计分期间（月份）的状态：草稿 → 公示 → 入账；已入账月份的补录、更正另起一行（“2026-09 补录1”）",
    key="期间",
)
ADJUSTMENTS = SheetSpec(
    "调整记录",
    TOOL,
    (
        C("月份", "month", width=9),
        C("户号", width=10),
        C("编码", width=8),
        C("项目", width=12),
        C("原得分", "number", width=8),
        C("新得分", "number", width=8),
        C("原因", width=36),
        C("经办人", width=9),
        C("时间", "datetime", width=20),
    ),
    "公示期间因异议调整的得分（谁、何时、为什么）",
)
HEADER_MAP = SheetSpec(
    "表头对照",
    TOOL,
    (
        C("表头文字", width=30),
        C("编码", width=8),
        C("项目", width=12),
        C("首次见于", width=40),
        C("次数", "int", width=6),
    ),
    "导入检查表时按依据认出（不是照名称）的表头及其检查项；下次先按这里认。认错了可改“编码”，或删掉这一行",
    key="表头文字",
)
OPLOG = SheetSpec(
    "操作日志",
    TOOL,
    (
        C("时间", "datetime", width=20),
        C("命令", width=24),
        C("参数", width=40),
        C("输入文件", width=50),
        C("结果", width=40),
        # written when the run changed 积分流水: its row count and last 校验 afterwards (the journal's anchor)
        C("流水行数", "int", width=8, required=False),
        C("流水末校验", width=16, required=False),
    ),
    "villagectl 每次写入台账的记录",
)

ALL_SHEETS: tuple[SheetSpec, ...] = (
    SETTINGS,
    RULES,
    BANDS,
    HOUSEHOLDS,
    CADRES,
    INDICATORS,
    INSPECTIONS,
    MONTHLY,
    JOURNAL,
    SHOP,
    REDEMPTIONS,
    ANNUAL,
    VOTES,
    COMMITMENTS,
    CADRE_SCORES,
    CADRE_VOTES,
    CADRE_NEGATIVES,
    DUTY_RECORDS,
    CADRE_RESULTS,
    EVENTS,
    PERIODS,
    ADJUSTMENTS,
    HEADER_MAP,
    OPLOG,
)
SHEETS_BY_NAME = {s.name: s for s in ALL_SHEETS}
TOOL_SHEETS = tuple(s for s in ALL_SHEETS if s.owner == TOOL)
# Tool-owned sheets whose 户号 must exist in 户籍.
HOUSEHOLD_KEYED = (INSPECTIONS, MONTHLY, JOURNAL, REDEMPTIONS, ANNUAL, ADJUSTMENTS, EVENTS, VOTES)
