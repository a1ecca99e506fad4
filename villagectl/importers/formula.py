"""Evaluate the simple formulas grid workers type, for cells saved without a result.

Files written by scripts (and some phone apps) keep a formula like ``=10-2``
or ``=SUM(C5:G5)`` with no stored value. Only arithmetic on numbers and
cells of the same sheet is evaluated; anything else is left to the caller
to report.
"""

from __future__ import annotations

import ast
import operator
import re

from villagectl.io.preflight import col_number
from villagectl.io.reader import SheetRows
from villagectl.values import NotANumber, to_number

_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")
_RANGE = re.compile(r"\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class Unsupported(ValueError):
    pass


def _cell_number(sheet: SheetRows, r: int, c: int, depth: int) -> float:
    value = sheet.cell(r, c)
    if value == "" and (r, c) in sheet.formulas:
        return evaluate(sheet.formulas[(r, c)], sheet, depth + 1)
    try:
        number = to_number(value)
    except NotANumber:
        raise Unsupported(str(value)) from None
    return number or 0.0


def evaluate(formula: str, sheet: SheetRows, depth: int = 0) -> float:
    """The value of ``formula`` (without the leading '='); Unsupported when it cannot be done."""
    if depth > 20:
        raise Unsupported("too deep")
    text = formula.strip().lstrip("=").upper()

    def expand_range(m: re.Match) -> str:
        c1, r1, c2, r2 = col_number(m.group(1)), int(m.group(2)), col_number(m.group(3)), int(m.group(4))
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 1000:
            raise Unsupported("range too large")
        cells = [
            repr(_cell_number(sheet, r - 1, c - 1, depth))
            for r in range(min(r1, r2), max(r1, r2) + 1)
            for c in range(min(c1, c2), max(c1, c2) + 1)
        ]
        return "(" + "+".join(cells or ["0"]) + ")"

    text = re.sub(r"SUM\(([^()]*)\)", lambda m: "(" + "+".join(
        _RANGE.sub(expand_range, part) if ":" in part else part for part in m.group(1).split(",")
    ) + ")", text)
    text = _RANGE.sub(expand_range, text)
    text = _REF.sub(lambda m: repr(_cell_number(sheet, int(m.group(2)) - 1, col_number(m.group(1)) - 1, depth)), text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise Unsupported(formula) from None
    return _eval(tree.body)


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise Unsupported("division by zero")
        return _OPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    raise Unsupported(ast.dump(node)[:40])
