"""Year-end results and ratings. Pure functions over DataFrames.

Annual result per scheme (参数 计分方式):
- 月度换算: the year's earned points: monthly points and streak bonuses of the
  year's months, and posted award/deduction events dated in the year; reversals
  count against the year of what they reverse; redemptions never lower it;
  opening balances (期初) are not a year's earnings.
- 基础分 (seed 001 篇4): every 基础分 item starts at its base value; an item
  inspected during the year takes its score instead (quarterly items combined
  as 季度合并方式 says: 平均 or 最新; annual items: the latest), then the year's
  posted additions and deductions are added.
- 事件: the year's posted events.

Only active households without a veto that year and with a positive result
are rated (stars, medals, red list); everyone is ranked.

Ranking: equal results share a rank (1, 2, 2, 4). A percentile cut at p% of N
households takes positions 1 … p·N; a tie that straddles the cut is taken in
whole (并列处理 整体计入) or left out whole (整体不计入).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from villagectl.ledger.households import YearPresence, is_active
from villagectl.ledger.journal import account_totals, classify
from villagectl.rules.presets import Rule
from villagectl.values import NotANumber, as_text, clean_text, to_number

EPS = 1e-9
STARS = ("五星级文明户", "四星级文明户", "三星级文明户")
MEDALS = ("金牌户", "银牌户", "铜牌户")


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


# --- annual points from the journal ---------------------------------------------


def entry_years(journal: pd.DataFrame, events: pd.DataFrame) -> dict[str, int | None]:
    """The year each journal row's points belong to (None: not a year's earnings) — ledger.journal.classify."""
    return {e.entry_id: e.year for e in classify(journal, events)}


def year_earnings(journal: pd.DataFrame, events: pd.DataFrame, year: int,
                  kinds: frozenset[str] | None = None) -> dict[str, float]:
    """Per household, the points earned in ``year`` (optionally only of some entry kinds)."""
    totals = account_totals([e for e in classify(journal, events) if e.year == year], kinds)
    return {h: t.by_year.get(year, 0.0) for h, t in totals.items()}


# --- base-and-adjust (篇4) ------------------------------------------------------


def base_item_scores(inspections: pd.DataFrame, rules: list[Rule], year: int, combine: str) -> dict[str, dict[str, float]]:
    """Per household, per 基础分 rule code, the year's item score (only items that were inspected)."""
    out: dict[str, dict[str, float]] = {}
    if inspections.empty:
        return out
    columns = {}
    for col in inspections.columns:
        code = clean_text(col).split(" ", 1)[0]
        if any(r.code == code for r in rules):
            columns[code] = col
    part = inspections[inspections["月份"].map(lambda m: clean_text(m)[:4] == str(year))]
    part = part.iloc[part["月份"].map(clean_text).argsort(kind="stable")]
    for rule in rules:
        col = columns.get(rule.code)
        if col is None:
            continue
        for hid, group in part.groupby(part["户号"].map(clean_text)):
            values = [v for v in (_num(x) for x in group[col]) if v is not None]
            if not values:
                continue
            if rule.period == "季" and combine == "平均":
                score = sum(values) / len(values)
            else:
                score = values[-1]  # 最新, and annual items: the latest
            out.setdefault(hid, {})[rule.code] = round(score, 4)
    return out


def base_results(household_ids: list[str], rules: list[Rule], item_scores: dict[str, dict[str, float]],
                 adjustments: dict[str, float]) -> dict[str, float]:
    base_rules = [r for r in rules if r.type == "基础分"]
    out = {}
    for hid in household_ids:
        scored = item_scores.get(hid, {})
        total = sum(scored.get(r.code, r.points) for r in base_rules)
        out[hid] = round(total + adjustments.get(hid, 0.0), 4)
    return out


# --- ranking and cuts ------------------------------------------------------------


def competition_ranks(results: dict[str, float]) -> dict[str, int]:
    ordered = sorted(results.values(), reverse=True)
    first = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(round(v, 6), i)
    return {h: first[round(v, 6)] for h, v in results.items()}


def within_cut(rank: int, tie_size: int, cut: float, whole_tie_in: bool) -> bool:
    """Positions rank … rank+tie_size-1 against the cut position ``cut`` (p% of N)."""
    if whole_tie_in:
        return rank <= cut + EPS
    return rank + tie_size - 1 <= cut + EPS


@dataclass(frozen=True)
class RatingSettings:
    ratings: str = "牌级"  # 星级 / 牌级 / 星级和牌级 / 无
    star_cuts: tuple[float, float, float] = (10, 20, 30)
    stars_need_base: bool = False
    base: float | None = None
    medal_mode: str = "比例"  # 比例 / 分数线
    medal_cuts: tuple[float, float, float] = (10, 20, 30)
    medal_lines: tuple[float | None, float | None, float | None] = (None, None, None)
    whole_tie_in: bool = True
    red_share: float = 10
    black_share: Fraction = Fraction(1, 3)
    whole_village_base: bool = True  # 评定基数: 全村 (every active household counts in N) or 参评户

    @classmethod
    def from_settings(cls, s) -> "RatingSettings":
        """From 参数 read once (rules.settings.VillageSettings; a plain dict is read the same way): a bad cell raises."""
        from villagectl.rules.settings import VillageSettings

        v = s if isinstance(s, VillageSettings) else VillageSettings(dict(s))
        ratings = v["年度评定方式"] or ("星级" if v["计分方式"] == "基础分" else "牌级")
        return cls(
            ratings=ratings,
            star_cuts=(v["五星比例"], v["四星比例"], v["三星比例"]),
            stars_need_base=bool(v["星级须不低于基础分"]),
            base=v["基础分"],
            medal_mode=v["牌级方式"],
            medal_cuts=(v["金牌比例"], v["银牌比例"], v["铜牌比例"]),
            medal_lines=(v["金牌分数线"], v["银牌分数线"], v["铜牌分数线"]),
            whole_tie_in=v["并列处理"] != "整体不计入",
            red_share=v["红榜比例"],
            black_share=v["黑榜不合格票比例"],
            whole_village_base=v["评定基数"] != "参评户",
        )


def tiered(results: dict[str, float], eligible: set[str], cuts: tuple[float, ...], labels: tuple[str, ...],
           whole_tie_in: bool, floor: float | None = None, base_count: int | None = None) -> dict[str, str]:
    """Labels by percentile tiers among the eligible households (tie rule applied at each cut).

    ``base_count`` is the N of "前10%": the whole village (篇4 "得分居全村前10%": zero-point and vetoed
    households counted but never awarded) or, when None, the eligible households only. The cut position
    p% × N may be fractional (10 % of 49 = 4.9): positions up to it are in, with the tie rule at the boundary."""
    pool = {h: v for h, v in results.items() if h in eligible}
    n = base_count if base_count is not None else len(pool)
    if not n:
        return {}
    ranks = competition_ranks(pool)
    sizes: dict[int, int] = {}
    for r in ranks.values():
        sizes[r] = sizes.get(r, 0) + 1
    out = {}
    for hid, rank in ranks.items():
        if floor is not None and pool[hid] < floor - EPS:
            continue
        for cut, label in zip(cuts, labels):
            if within_cut(rank, sizes[rank], n * cut / 100, whole_tie_in):
                out[hid] = label
                break
    return out


def by_lines(results: dict[str, float], eligible: set[str], lines, labels) -> dict[str, str]:
    out = {}
    for hid, value in results.items():
        if hid not in eligible:
            continue
        for line, label in zip(lines, labels):
            if line is not None and value >= line - EPS:
                out[hid] = label
                break
    return out


def black_listed(votes: dict[str, tuple[int, int]], share: Fraction) -> set[str]:
    """Seed 004: 不合格票占 1/3 以上 → black list; "以上" includes the share itself."""
    return {h for h, (cast, unfit) in votes.items() if cast > 0 and Fraction(unfit, cast) >= share}


def rate_year(
    year: int,
    households: pd.DataFrame,
    results: dict[str, float],
    settings: RatingSettings,
    vetoes: dict[str, list[str]],
    votes: dict[str, tuple[int, int]],
    exposure_months: dict[str, int],
    presence: YearPresence | None = None,
) -> pd.DataFrame:
    """年度评定 rows for every household with a result (and every one in the village that year).

    ``presence``: the year's households as they were (ledger.households.year_presence); without it,
    today's 户籍 状态 decides.
    """
    ids = [clean_text(h) for h in households["户号"]]
    records = {clean_text(r["户号"]): r for r in households.to_dict("records")}
    if presence is None:
        active = awardable = {h for h in ids if is_active(records[h].get("状态"))}
    else:
        active, awardable = set(presence.during), set(presence.at_end)
    pool = {h: results.get(h, 0.0) for h in ids if h in active or h in results}
    black = black_listed({h: v for h, v in votes.items() if h in pool}, settings.black_share)
    # rated: in the village at the year's end, no veto this year, and something earned (nobody is a 金牌户 for 0 points)
    eligible = {h for h in pool if h not in vetoes and h in awardable and pool[h] > EPS}
    ranks = competition_ranks(pool)
    group_ranks: dict[str, int] = {}
    by_group: dict[str, dict[str, float]] = {}
    for h, v in pool.items():
        by_group.setdefault(clean_text(records[h].get("组别")), {})[h] = v
    for members in by_group.values():
        group_ranks.update(competition_ranks(members))
    stars = medals = {}
    base_count = len([h for h in pool if h in active]) if settings.whole_village_base else None
    if "星级" in settings.ratings:
        floor = settings.base if settings.stars_need_base else None
        stars = tiered(pool, eligible, settings.star_cuts, STARS, settings.whole_tie_in, floor, base_count)
    if "牌级" in settings.ratings:
        if settings.medal_mode == "分数线":
            medals = by_lines(pool, eligible, settings.medal_lines, MEDALS)
        else:
            medals = tiered(pool, eligible, settings.medal_cuts, MEDALS, settings.whole_tie_in, base_count=base_count)
    red = tiered(pool, eligible - black, (settings.red_share,), ("红榜",), settings.whole_tie_in, base_count=base_count)
    rows = []
    for hid in sorted(pool, key=lambda h: (ranks[h], h)):
        r = records[hid]
        cast, unfit = votes.get(hid, (None, None))
        notes = []
        if hid in vetoes:
            notes.append("一票否决，不参加评定：" + "、".join(vetoes[hid]))
        if hid in black:
            notes.append(f"互评不合格票 {unfit}/{cast}，列入黑榜")
        if exposure_months.get(hid):
            notes.append(f"全年上曝光台 {exposure_months[hid]} 个月")
        rows.append({
            "年度": year,
            "户号": hid,
            "户主": as_text(r.get("户主")),
            "组别": clean_text(r.get("组别")),
            "年度积分": pool[hid],
            "名次": ranks[hid],
            "组内名次": group_ranks[hid],
            "星级": stars.get(hid, ""),
            "牌级": medals.get(hid, ""),
            "榜单": "黑榜" if hid in black else red.get(hid, ""),
            "曝光台": exposure_months.get(hid, 0) or "",
            "否决": "是" if hid in vetoes else "",
            "享受村级福利": "否" if hid in black else "是",
            "投票数": cast if cast is not None else "",
            "不合格票": unfit if unfit is not None else "",
            "状态": "草稿",
            "备注": "；".join(notes),
        })
    return pd.DataFrame(rows)


def rating_base_count(settings: RatingSettings, rows: list[dict], active: set[str]) -> tuple[str, int]:
    """('全村', N) or ('参评', N): the N of "前10%" over the year's 年度评定 rows, as ``rate_year`` counts it."""
    mine = [r for r in rows if clean_text(r.get("户号")) in active]
    if settings.whole_village_base:
        return "全村", len(mine)
    rated = [r for r in mine if clean_text(r.get("否决")) != "是" and (_num(r.get("年度积分")) or 0) > EPS]
    return "参评", len(rated)


def _cut_text(p: float, n: int) -> str:
    from villagectl.values import fmt_number

    cut = Fraction(str(p)) * n / 100
    last = int(cut)  # positions 1 … ⌊cut⌋; the tie rule decides at the boundary
    exact = cut.denominator == 1
    span = f"第1至{last}名" if last >= 1 else "无名额"
    if exact:
        return f"前{fmt_number(p)}%为{span}（{n}×{fmt_number(p)}%={last}）"
    return f"前{fmt_number(p)}%为{span}（{n}×{fmt_number(p)}%={fmt_number(float(cut))}，名次不超过{fmt_number(float(cut))}）"


def cut_positions_text(settings: RatingSettings, rows: list[dict], active: set[str]) -> str:
    """The notice's sentence on whose 10 %: '评定基数：全村30户（…）。前10%为第1至3名（30×10%=3）……'."""
    kind, n = rating_base_count(settings, rows, active)
    if not n:
        return ""
    cuts: list[float] = []
    if "星级" in settings.ratings:
        cuts += list(settings.star_cuts)
    if "牌级" in settings.ratings and settings.medal_mode != "分数线":
        cuts += list(settings.medal_cuts)
    cuts.append(settings.red_share)
    shown = list(dict.fromkeys(cuts))
    if kind == "全村":
        head = f"评定基数：全村{n}户（年度积分为0和一票否决的户计入户数，但不参评）"
    else:
        head = f"评定基数：参评{n}户（年度积分大于0、无一票否决的户）"
    tie = ("跨分界的并列户名次在分界内的整体计入" if settings.whole_tie_in
           else "跨分界的并列户整体不计入")
    text = f"{head}。" + "，".join(_cut_text(p, n) for p in shown) + f"；{tie}"
    if "星级" in settings.ratings and settings.stars_need_base and settings.base is not None:
        from villagectl.values import fmt_number

        text += f"；评星还须年度积分不低于基础分{fmt_number(settings.base)}分"
    return text + "。"
