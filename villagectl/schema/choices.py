"""The values a ledger's cells may hold (the dropdowns) and the journal's entry types. Imports nothing.

``villagectl.schema`` (the sheet tables) uses them for its columns' choices and imports every
name from here, so ``schema.ENTRY_REDEEM`` and the like keep working.
"""

from __future__ import annotations

HOUSEHOLD_TYPES = ("普通户", "党员户", "脱贫户", "监测户", "低保户", "五保户", "军烈属户", "老年户", "商户", "社团")
HOUSEHOLD_STATES = ("正常", "迁出", "注销", "暂停")
RULE_TYPES = ("检查项", "基础分", "加分", "扣分", "否决")
RULE_PERIODS = ("月", "季", "年", "次")
CADRE_KINDS = ("村干部", "村民代表")
CADRE_STATES = ("在职", "离任", "停职")
INDICATOR_TYPES = ("指标", "负面扣分", "负面否决")
PERIOD_STATES = ("草稿", "公示", "入账")
# a row of a posted month changed by a late sheet (补录) or a correction (更正), until that change is posted
ROW_SUPPLEMENT, ROW_CORRECTION = "补录", "更正"
MONTH_ROW_STATES = PERIOD_STATES + (ROW_SUPPLEMENT, ROW_CORRECTION)
YES_NO = ("是", "否")

# Journal entry types and whether they count as earned points (ratings use
# earned points; redemptions lower only the balance — DESIGN §7).
ENTRY_OPENING = "期初"
ENTRY_MONTHLY = "月度积分"
ENTRY_BONUS = "连续奖励"
ENTRY_AWARD = "加分"
ENTRY_DEDUCTION = "扣分"
ENTRY_REDEEM = "兑换"
ENTRY_REVERSAL = "冲正"
ENTRY_TRANSFER_OUT = "转出"
ENTRY_TRANSFER_IN = "转入"
# a slip handed in and the goods collected: 0 points, 关联 = the slip's 单号 (the chained record of 领取)
ENTRY_COLLECT = "领取"
ENTRY_TYPES = (
    ENTRY_OPENING,
    ENTRY_MONTHLY,
    ENTRY_BONUS,
    ENTRY_AWARD,
    ENTRY_DEDUCTION,
    ENTRY_REDEEM,
    ENTRY_REVERSAL,
    ENTRY_TRANSFER_OUT,
    ENTRY_TRANSFER_IN,
    ENTRY_COLLECT,
)
EARNING_TYPES = frozenset({ENTRY_OPENING, ENTRY_MONTHLY, ENTRY_BONUS, ENTRY_AWARD, ENTRY_DEDUCTION, ENTRY_TRANSFER_IN})
SPENDING_TYPES = frozenset({ENTRY_REDEEM})

# 履职承诺 / 考核结果: the periods a cadre is assessed for
CADRE_PERIODS = ("全年", "上半年", "下半年")
# 积分事件 状态: an event from its report (申报) to its posting (入账)
EVENT_STATES = ("申报", "初审", "公示", "审核", "入账", "驳回", "撤销")
