"""The printable transfer letter (迁转证明, A4): the paper that goes with a signed transfer file.

``transfer out`` writes the signed ``.json`` for the receiving village's computer; this letter is for
people: the villager keeps a copy, the receiving village's clerk checks the file against it (the
transfer id, balance and earned points), and both villages stamp it. It is made from the signed
document itself, so it says exactly what the file says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = "transfer_letter.typ.j2"
SUFFIX = "_迁转证明.pdf"


def letter_path(transfer_file: Path) -> Path:
    """'中坪村_ZP012_积分转移单_2026-08-03.json' → '…_2026-08-03_迁转证明.pdf' in the same folder."""
    transfer_file = Path(transfer_file)
    return transfer_file.with_name(transfer_file.stem + SUFFIX)


@dataclass
class TransferLetter:
    transfer_id: str
    from_village: str
    to_village: str
    date: dt.date
    household_id: str
    name: str
    group: str
    people: int | None
    balance: float
    earned: float
    spent: float
    years: list[dict]  # {"year", "earned", "rated", "entries"}: the history's blocks
    file_name: str  # the signed file this letter goes with
    committee: str  # the sending village's 落款 ('中坪村村民委员会')

    @classmethod
    def from_document(cls, document: dict, file_name: str, committee: str = "") -> TransferLetter:
        house = document.get("household", {})
        return cls(
            transfer_id=str(document.get("transfer_id", "")),
            from_village=str(document.get("from_village", "")),
            to_village=str(document.get("to_village", "")),
            date=dt.date.fromisoformat(str(document.get("date"))),
            household_id=str(house.get("household_id", "")),
            name=str(house.get("name", "")),
            group=str(house.get("group", "")),
            people=house.get("people"),
            balance=float(document.get("balance", 0)),
            earned=float(document.get("earned", 0)),
            spent=float(document.get("spent", 0)),
            years=[{"year": b["year"], "earned": float(b["earned"]), "rated": float(b["rated"]),
                    "entries": len(b.get("entries", []))} for b in document.get("history", [])],
            file_name=file_name,
            committee=committee or f"{document.get('from_village', '')}村民委员会",
        )


def _points(value: float) -> str:
    from villagectl.values import fmt_number

    return fmt_number(round(value, 2))


def letter_context(letter: TransferLetter) -> dict:
    return {
        "title": f"{letter.from_village}积分迁转证明",
        "transfer_id": letter.transfer_id,
        "from_village": letter.from_village,
        "to_village": letter.to_village,
        "date": letter.date,
        "household_id": letter.household_id,
        "name": letter.name,
        "group": letter.group,
        "people": letter.people,
        "balance": _points(letter.balance),
        "earned": _points(letter.earned),
        "spent": _points(letter.spent),
        "years": [{"year": y["year"], "earned": _points(y["earned"]), "rated": _points(y["rated"]),
                   "entries": y["entries"]} for y in letter.years],
        "file_name": letter.file_name,
        "committee": letter.committee,
    }


def render_transfer_letter(letter: TransferLetter, out_pdf: Path, templates_dir: Path | None = None,
                           font: Path | None = None) -> Path:
    from villagectl.render.typst_engine import render_pdf  # imported here: `check` imports actions.transfer

    return render_pdf(TEMPLATE, letter_context(letter), Path(out_pdf), templates_dir=templates_dir, font=font)


def transfer_letter_beside(transfer_file: Path, ledger) -> tuple[Path | None, str]:
    """Print the letter beside the signed file (``letter_path``), from that file: (the PDF, "") or (None, why not).

    Called after the ledger has recorded the transfer and the file is written: a letter that cannot be
    printed (no font, a broken custom template) does not undo that; the caller tells the clerk.
    """
    import json

    from villagectl.errors import VillageError
    from villagectl.render.typst_engine import printing_paths

    transfer_file = Path(transfer_file)
    settings = ledger.settings()
    try:
        document = json.loads(transfer_file.read_text(encoding="utf-8"))
        templates_dir, font = printing_paths(settings, ledger.path, None, None)
        letter = TransferLetter.from_document(document, transfer_file.name, settings.get("公示落款", ""))
        return render_transfer_letter(letter, letter_path(transfer_file), templates_dir, font), ""
    except VillageError as exc:
        return None, exc.message + (f"（{exc.hint}）" if exc.hint else "")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, str(exc)


def with_letter(result, ledger):  # noqa: ANN001  (actions.transfer's TransferOutResult; render/ imports no actions/)
    """``transfer out``'s result with the letter printed beside its file: sets ``result.letter`` (the PDF or
    None) and ``result.letter_problem`` (why it could not be printed, or "")."""
    result.letter, result.letter_problem = transfer_letter_beside(result.file, ledger)
    return result
