"""``cdtui picklist`` and ``cdtui slips`` against the sandbox: the files a packer prints
(opened with pypdf), where they go and who can read them, the print command called
once per document, and bad input refused with nothing written."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from barcode.codex import Code128
from conftest import Run, to_ship
from pypdf import PdfReader
from recording_printer import RecordingPrinter

from cdtui.config import load_settings
from cdtui.documents.code128 import bars
from cdtui.engine import Engine
from cdtui.models import OrderRecord
from cdtui.orders.summary import shown_lines
from cdtui.sandbox.server import SandboxServer

SAVED = re.compile(r"saved to (\S+\.pdf)$", re.M)
RECT = re.compile(r" re f\b")


def saved_path(out: str) -> Path:
    match = SAVED.search(out)
    assert match, out
    return Path(match.group(1))


def records(ids: list[str]) -> list[OrderRecord]:
    engine = Engine(load_settings())
    return [engine.order(i) for i in ids]


def pdf_text(reader: PdfReader) -> str:
    return "\n".join(p.extract_text() for p in reader.pages)


def documents_dir(home: Path) -> Path:
    return home / "labels" / "documents"


def test_picking_list_and_slips_for_orders_by_reference_and_id(
    ready: Run, cdtui_home: Path
) -> None:
    ids = to_ship(ready)[:4]
    listed = {o["order_id"]: o for o in ready("orders", "--json").json()}  # type: ignore[union-attr]
    refs = [listed[i]["reference"] for i in ids]
    # two by reference, two by id, one given twice: four orders
    keys = [refs[0], refs[1], ids[2], ids[3], refs[0]]

    r = ready("picklist", *keys)
    assert r.code == 0, r.err
    picklist = saved_path(r.out)
    assert "Picking list for 4 orders" in r.out
    assert picklist.parent.parent == documents_dir(cdtui_home)
    assert re.fullmatch(r"picklist-\d{6}\.pdf", picklist.name)
    text = pdf_text(PdfReader(picklist))
    items = sum(listed[i]["items"] for i in ids)
    assert f"4 orders  ·  {items} item" in text
    lines = [ln for rec in records(ids) for ln in shown_lines(rec.order)]
    for ln in lines:
        assert ln.sku and ln.sku in text
    for ref in refs:
        assert ref in text

    r = ready("slips", *keys)
    assert r.code == 0, r.err
    slips = saved_path(r.out)
    assert slips != picklist and slips.name.startswith("slips-")
    reader = PdfReader(slips)
    assert len(reader.pages) == 4, "one slip per order"
    for page, ref, rec in zip(reader.pages, refs, records(ids), strict=True):
        text = page.extract_text()
        assert ref in text
        assert all(ln.sku and ln.sku in text for ln in shown_lines(rec.order))
        content = page.get_contents()
        assert content is not None
        drawn = len(RECT.findall(content.get_data().decode("latin-1")))
        assert drawn == len(bars(Code128(ref).build()[0])), "the reference's bars"

    for path in (picklist, slips):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700


def test_to_ship_takes_every_order_to_ship(ready: Run) -> None:
    count = len(ready("orders", "--status", "to_ship", "--json").json())  # type: ignore[arg-type]
    assert count > 5
    r = ready("slips", "--to-ship")
    assert r.code == 0, r.err
    assert len(PdfReader(saved_path(r.out)).pages) == count
    r = ready("picklist", "--to-ship")
    assert r.code == 0 and f"for {count} orders" in r.out
    assert "--to-ship" in ready("picklist", "--help").out
    assert "every order to ship" in ready("slips", "--help").out


def test_print_sends_each_document_once_to_the_print_command(
    ready: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printer = RecordingPrinter(tmp_path, "--tray", "2")
    monkeypatch.setenv("CDTUI_PRINT_COMMAND", printer.command)
    ids = to_ship(ready)[:3]
    r = ready("slips", *ids, "--print")
    assert r.code == 0, r.err
    assert "sent to the printer" in r.out
    slips = saved_path(r.out)
    assert printer.calls == [["--tray", "2", str(slips)]]
    assert printer.copy(1) == slips.read_bytes()
    assert len(printer.pdf(1).pages) == 3
    r = ready("picklist", *ids, "--print")
    assert r.code == 0 and len(printer.calls) == 2


def test_out_writes_where_asked(ready: Run, tmp_path: Path, cdtui_home: Path) -> None:
    ids = to_ship(ready)[:2]
    target = tmp_path / "today.pdf"
    r = ready("slips", *ids, "--out", str(target))
    assert r.code == 0, r.err
    assert saved_path(r.out) == target
    assert len(PdfReader(target).pages) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not documents_dir(cdtui_home).exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["picklist", "NO-SUCH-ORDER"], "no order with id or reference"),
        (["slips"], "--to-ship"),
        (["slips", "--to-ship", "ID"], "not both"),
        (["slips", "ID", "--print"], "No print command is set"),
        (["picklist", "ID", "--out", "/no/such/folder/x.pdf"], "existing folder"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    ready: Run, cdtui_home: Path, argv: list[str], message: str
) -> None:
    order_id = to_ship(ready)[0]
    argv = [order_id if a == "ID" else a for a in argv]
    r = ready(*argv)
    assert r.code == 2, (r.out, r.err)
    assert message in r.err and r.err.count("\n") == 1
    assert not documents_dir(cdtui_home).exists()


def test_hostile_order_text_reaches_neither_terminal_nor_pdf_as_controls(
    ready: Run, sandbox: SandboxServer
) -> None:
    order_id = to_ship(ready)[0]
    osc52 = "\x1b]52;c;SGVsbG8=\x07"

    def hostile(doc: dict) -> None:  # type: ignore[type-arg]
        doc["reference"] = f"R-1{osc52}\nFORGED"
        for line in doc["lines"]:
            address = line.get("shippingAddress") or {}
            address["firstName"] = "Nguyễn\x1b[2J" + "Ő" * 500
            line["offer"]["productTitle"] = f"Casque 🎧{osc52}"

    sandbox.world.update_order(order_id, hostile)
    assert ready("sync").code == 0
    for command in ("picklist", "slips"):
        r = ready(command, order_id)
        assert r.code == 0, r.err
        assert "\x1b" not in r.out + r.err
        text = pdf_text(PdfReader(saved_path(r.out)))
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), repr(text)
        words = " ".join(text.split())  # cells wrap where they like
        assert "\\x1b]52;c;SGVsbG8=\\x07" in words and "Casque ?" in words
    assert "Ő" * 10 in text and "Ő" * 100 not in text, "the buyer's name is capped"
