"""What ``check`` finds on each sheet of a ledger a clerk may have edited by hand: functions over an open
``Ledger`` (its frames and settings; nothing is opened or written here), each returning ``Problem``s.

``at(sheet, pos, column)`` (``locator``) names the cell: a row's position in the sheet's frame and a
column give ``D5``, a row alone ``第5行``, neither the sheet. ``actions/check.py`` runs them in order.
"""

from __future__ import annotations


from villagectl import schema
from villagectl.errors import Location, Problem
from villagectl.ledger.households import allowed_household_types, validate_record
from villagectl.ledger.locations import Locator, locator  # noqa: F401  (locator: actions/check.py)
from villagectl.ledger.journal import _texts
from villagectl.ledger.workbook import Ledger
from villagectl.rules.catalogue import band_gaps_and_overlaps, inspection_total, parse_bands, parse_rules
from villagectl.rules.settings import VillageSettings
from villagectl.values import NotANumber, clean_text, fmt_number, to_number



def sheet_problems(ledger: Ledger) -> tuple[list[Problem], set[str]]:
    """Missing sheets and columns, and the sheets too broken to check further."""
    name = ledger.path.name
    problems: list[Problem] = []
    lost = ledger.lost_journal_rows()
    for spec in schema.ALL_SHEETS:
        if spec is schema.JOURNAL and lost:
            problems.append(Problem(Location(name, spec.name), ledger.lost_journal_message()))
        elif not ledger.has(spec.name) and spec.owner == schema.TOOL:
            problems.append(Problem(Location(name, spec.name), "缺少这个工作表（villagectl 下次写入时会自动添加）", "警告"))
        elif not ledger.has(spec.name) and spec.optional:
            problems.append(Problem(Location(name, spec.name), "缺少这个工作表（需要时从 villagectl init 新建的台账复制过来）", "警告"))
        elif not ledger.has(spec.name):
            problems.append(Problem(Location(name, spec.name), "缺少这个工作表"))
        elif ledger.upgraded.get(spec.name):
            cols = "、".join(ledger.upgraded[spec.name])
            problems.append(Problem(Location(name, spec.name), f"缺少新版本的列：{cols}（villagectl 下次写入时会自动添加）", "警告"))
        elif ledger.missing_headers.get(spec.name):
            cols = "、".join(ledger.missing_headers[spec.name])
            problems.append(Problem(Location(name, spec.name), f"缺少列：{cols}"))
    broken = {s for s in ledger.missing_headers if ledger.missing_headers[s]} | {
        s.name for s in schema.ALL_SHEETS if not ledger.has(s.name) and s.owner == schema.CLERK and not s.optional
    } | ({schema.JOURNAL.name} if lost else set())
    return problems, broken


def rules_problems(ledger: Ledger, settings: dict[str, str], broken: set[str], at: Locator) -> tuple[list[Problem], list]:
    """规则 (and 换算表 under 月度换算): the rows, and their totals against 满分 / 基础分; also the parsed rules."""
    scheme = settings.get("计分方式", "")
    problems: list[Problem] = []
    rules, issues = parse_rules(ledger.table(schema.RULES.name))
    problems += [Problem(at(i.sheet, i.row, i.column), i.message) for i in issues]
    full = _number_setting(settings, "满分")
    if scheme == "月度换算" and full is not None:
        total = inspection_total(rules)
        if abs(total - full) > 1e-9:
            problems.append(
                Problem(at(schema.RULES.name), f"检查项满分合计 {fmt_number(total)}，与参数“满分” {fmt_number(full)} 不符")
            )
    base = _number_setting(settings, "基础分")
    if scheme == "基础分" and base is not None:
        total = sum(r.points for r in rules if r.type == "基础分")
        if abs(total - base) > 1e-9:
            problems.append(
                Problem(at(schema.RULES.name), f"基础分项目合计 {fmt_number(total)}，与参数“基础分” {fmt_number(base)} 不符")
            )
    if schema.BANDS.name not in broken and scheme == "月度换算":
        bands, band_issues = parse_bands(ledger.table(schema.BANDS.name))
        problems += [Problem(at(i.sheet, i.row, i.column), i.message) for i in band_issues]
        if not bands and not band_issues:
            problems.append(Problem(at(schema.BANDS.name), "计分方式为“月度换算”，但换算表是空的"))
        elif full is not None and not band_issues:
            problems += [Problem(at(schema.BANDS.name), m) for m in band_gaps_and_overlaps(bands, 0, full)]
    return problems, rules


def household_problems(ledger: Ledger, settings: dict[str, str], broken: set[str], at: Locator) -> list[Problem]:
    """户籍 rows (fields, repeated 户号), and every 户号 the other sheets name that 户籍 does not have."""
    problems: list[Problem] = []
    known_ids: set[str] = set()
    households = ledger.table(schema.HOUSEHOLDS.name)
    allowed = allowed_household_types(settings)
    first_row: dict[str, int] = {}
    known_columns = [c for c in households.columns if c in schema.HOUSEHOLDS.column_names]
    for pos, row in enumerate(households.records()):
        values = {c: row[c] for c in known_columns}
        for column, message in validate_record(values, allowed):
            problems.append(Problem(at(schema.HOUSEHOLDS.name, pos, column), message))
        hid = clean_text(row.get("户号", ""))
        if hid and hid in first_row:
            problems.append(
                Problem(at(schema.HOUSEHOLDS.name, pos, "户号"),
                        f"户号 {hid} 重复（与第{ledger.excel_row(schema.HOUSEHOLDS.name, first_row[hid])}行相同）")
            )
        elif hid:
            first_row[hid] = pos
        known_ids.add(hid)
    for spec in schema.HOUSEHOLD_KEYED:
        if spec.name in broken:
            continue
        frame = ledger.table(spec.name)
        unknown: dict[str, list[int]] = {}
        ids = _texts(frame.column("户号")) if "户号" in frame.columns else []  # clean_text of each cell
        if set(ids) - known_ids - {""}:  # only then row by row (a year's sheets hold 60,000 rows)
            for pos, hid in enumerate(ids):
                if hid and hid not in known_ids:
                    unknown.setdefault(hid, []).append(pos)
        for hid, rows in list(unknown.items())[:20]:  # one line per 户号 (grouped by check), all its rows
            message = f"户号 {hid} 不在户籍表中{_id_advice(hid, known_ids)}"
            for pos in rows:
                problems.append(Problem(at(spec.name, pos, "户号"), message))
        if len(unknown) > 20:
            rest = list(unknown.values())[20:]
            problems.append(Problem(at(spec.name), f"另有 {len(rest)} 个户号（{sum(map(len, rest))} 行）不在户籍表中"))
    return problems


def _id_advice(hid: str, known_ids: set[str]) -> str:
    from villagectl.values import edit_distance, id_key

    same = [k for k in known_ids if k and id_key(k) == id_key(hid)]
    if same:
        return f"（户籍里是 {same[0]}：大小写或全角半角不同，请改成一样）"
    close = sorted((edit_distance(id_key(hid), id_key(k)), k) for k in known_ids if k)
    near = [k for d, k in close[:3] if d <= 1]
    return f"（是不是 {'、'.join(near)}？）" if near else ""


def header_map_problems(ledger: Ledger, rules, at: Locator) -> list[Problem]:
    """表头对照: every row names an inspected item, and one header text means one item."""
    sheet = schema.HEADER_MAP.name
    codes = {r.code: r for r in rules if r.type in ("检查项", "基础分")}
    problems: list[Problem] = []
    first: dict[str, tuple[int, str]] = {}
    for pos, row in enumerate(ledger.table(sheet).records()):
        text = str(row.get("表头文字") or "").strip()
        code = clean_text(row.get("编码"))
        if not text and not code:
            continue
        if not text:
            problems.append(Problem(at(sheet, pos, "表头文字"), "缺少表头文字；不用的行请整行删掉"))
            continue
        if code not in codes:
            problems.append(Problem(at(sheet, pos, "编码"),
                                    f"编码“{code}”不是“规则”表里的检查项；请改成正确的编码，或删掉这一行（导入时会重新认）"))
            continue
        key = " ".join(text.split())
        if key in first and first[key][1] != code:
            problems.append(Problem(at(sheet, pos, "表头文字"),
                                    f"表头“{text}”在第 {first[key][0]} 个数据行对应 {first[key][1]}，这里又对应 {code}；请删掉错的一行"))
        first.setdefault(key, (pos + 1, code))
    return problems


def link_problems(ledger: Ledger, at: Locator) -> list[Problem]:
    """What other sheets say the journal holds: posted events and slips, and the slips' codes."""
    from villagectl.ledger.slips import (  # the rules themselves: actions.slips would also load the slip printer
        collections,
        make_code,
        reset_collection,
        same_code,
        secret_of,
        slip_records,
        with_redemption_columns,
    )

    problems: list[Problem] = []
    journal = ledger.table(schema.JOURNAL.name)
    entry_ids = set(_texts(journal.column("流水号"))) if len(journal) else set()
    events = ledger.table(schema.EVENTS.name)
    for pos, row in enumerate(events.records()):
        entry = clean_text(row.get("流水号"))
        if clean_text(row.get("状态")) == "入账" and entry and entry not in entry_ids:
            problems.append(Problem(at(schema.EVENTS.name, pos, "流水号"),
                                    f"事件 {clean_text(row.get('事件号'))} 已入账，但积分流水里没有流水号 {entry}"))
    frame = with_redemption_columns(ledger.table_or_empty(schema.REDEMPTIONS.name))  # actions.slips.redemption_frame
    if frame.empty:
        return problems
    secret = secret_of(ledger.settings())  # actions.slips.ledger_secret
    collected = collections(journal)
    for record in slip_records(frame).values():
        pos = record.positions[0]
        reset = reset_collection(record, collected)
        if reset:
            problems.append(Problem(at(schema.REDEMPTIONS.name, pos, "状态"), reset))
        if record.entry_id and record.entry_id not in entry_ids:
            problems.append(Problem(at(schema.REDEMPTIONS.name, pos, "流水号"),
                                    f"兑换单 {record.number} 的流水号 {record.entry_id} 不在积分流水里"))
        if secret and record.code and not record.inconsistent and not same_code(make_code(secret, record.canonical()), record.code):
            problems.append(Problem(at(schema.REDEMPTIONS.name, pos, "核验码"),
                                    f"兑换单 {record.number} 的内容与核验码不符：兑换记录被手工改过"))
        elif record.inconsistent:
            problems.append(Problem(at(schema.REDEMPTIONS.name, pos, "单号"),
                                    f"兑换单 {record.number} 的几行记录“{'、'.join(record.inconsistent)}”不一致，兑换记录被手工改过"))
    return problems


def _number_setting(settings: dict[str, str], key: str) -> float | None:
    try:
        return to_number(settings.get(key, ""))
    except NotANumber:
        return None


def settings_problems(ledger: Ledger, settings: dict[str, str], at: Locator) -> list[Problem]:
    problems: list[Problem] = []
    frame = ledger.table(schema.SETTINGS.name)
    keys = [clean_text(v) for v in frame.column("键")] if "键" in frame.columns else []
    seen: set[str] = set()
    for pos, key in enumerate(keys):
        if key and key in seen:
            problems.append(Problem(at(schema.SETTINGS.name, pos, "键"), f"参数“{key}”重复出现，以最后一个为准"))
        seen.add(key)
    for key in ("村名", "计分方式"):
        if not settings.get(key):
            problems.append(Problem(at(schema.SETTINGS.name), f"缺少参数“{key}”"))
    scheme = settings.get("计分方式", "")
    required = {"每分折合元", "公示天数"} | ({"满分"} if scheme == "月度换算" else set()) | (
        {"基础分"} if scheme == "基础分" else set())
    for key in sorted(required):
        if not settings.get(key, ""):
            problems.append(Problem(at(schema.SETTINGS.name), f"缺少参数“{key}”"))
    # every typed key as every command reads it (rules/settings.py): one reading, one message
    _typed, typed_problems = VillageSettings.from_frame(frame)
    for problem in typed_problems:
        problems.append(Problem(at(schema.SETTINGS.name, problem.row, "值"), problem.message))
    return problems


def indicator_problems(ledger: Ledger, at: Locator) -> list[Problem]:
    problems: list[Problem] = []
    frame = ledger.table(schema.INDICATORS.name)
    totals: dict[str, float] = {}
    for pos, row in enumerate(frame.records()):
        subject = clean_text(row.get("对象", ""))
        kind = clean_text(row.get("类型", ""))
        if subject not in schema.CADRE_KINDS:
            problems.append(Problem(at(schema.INDICATORS.name, pos, "对象"), f"对象“{subject}”无效，应为 村干部/村民代表"))
        if kind not in schema.INDICATOR_TYPES:
            problems.append(Problem(at(schema.INDICATORS.name, pos, "类型"), f"类型“{kind}”无效，应为 {'/'.join(schema.INDICATOR_TYPES)}"))
        try:
            points = to_number(row.get("满分"))
        except NotANumber as exc:
            problems.append(Problem(at(schema.INDICATORS.name, pos, "满分"), f"满分“{exc}”不是数字"))
            continue
        if kind == "指标" and points is not None:
            totals[subject] = totals.get(subject, 0.0) + points
    for subject, total in totals.items():
        if abs(total - 100) > 1e-9:
            problems.append(Problem(at(schema.INDICATORS.name), f"{subject}考核指标满分合计 {fmt_number(total)}，应为 100"))
    return problems


def posted_score_problems(ledger: Ledger, at: Locator) -> list[Problem]:
    """A posted month's 月度得分 row whose 积分 / 奖励 is not what the journal holds for it: edited by hand after
    posting (a correction is ``score adjust --after-post``, which marks the row 更正 until it is posted)."""
    from villagectl.ledger.journal import parse_monthly_reference
    from villagectl.ledger.month_posting import EPS, POSTED_FIELDS

    if not ledger.has(schema.MONTHLY.name) or not ledger.has(schema.PERIODS.name):
        return []
    periods = ledger.table(schema.PERIODS.name)
    posted_months = {clean_text(p) for p, state in zip(periods.column("期间"), periods.column("状态"))
                     if clean_text(state) == schema.PERIOD_STATES[2]}
    monthly = ledger.table(schema.MONTHLY.name)
    if not posted_months or not len(monthly):
        return []
    journal = ledger.table(schema.JOURNAL.name)
    kinds = _texts(journal.column("类型"))
    refs = _texts(journal.column("关联"))
    reversed_ids = {ref for ref, kind in zip(refs, kinds) if kind == schema.ENTRY_REVERSAL}
    standing: dict[tuple[str, str, str], float] = {}
    for entry_id, kind, ref, points in zip(_texts(journal.column("流水号")), kinds, refs, journal.column("积分")):
        parsed = parse_monthly_reference(ref) if ref else None
        if parsed is None or parsed[0] not in posted_months or entry_id in reversed_ids:
            continue
        try:
            number = to_number(points) or 0.0
        except NotANumber:
            continue  # the chain check names the cell
        key = (parsed[0], parsed[1], kind)
        standing[key] = standing.get(key, 0.0) + number
    problems: list[Problem] = []
    months, ids, states, totals = (_texts(monthly.column(c)) for c in ("月份", "户号", "状态", "总分"))
    for pos, (month, hid, state, total) in enumerate(zip(months, ids, states, totals)):
        if month not in posted_months or state != "入账":
            continue
        for kind, column in POSTED_FIELDS:
            try:
                target = (to_number(monthly.column(column)[pos]) or 0.0) if total else 0.0
            except NotANumber:
                continue  # the sheet's own checks name a cell that is no number
            held = standing.get((month, hid, kind), 0.0)
            if abs(target - held) >= EPS:
                problems.append(Problem(at(schema.MONTHLY.name, pos, column), (
                    f"{month} 户号 {hid} 的{column} {fmt_number(target)} 与积分流水里入账的 {fmt_number(held)} 不符："
                    f"入账后被手工改过；请改回 {fmt_number(held)}，确要更正请用 villagectl score adjust … --after-post")))
    return problems
