"""Print batches from the command line, against the sandbox, with a recording printer.

The print command is a small script that appends its arguments to a log and keeps a
copy of the file it was given: a batch is exactly one call, and the copy is what the
printer got (opened with pypdf: page count, the labels' tracking numbers as text).
"""

from __future__ import annotations

import json
import math
import stat
import sys
from pathlib import Path

import pytest
from conftest import Run, to_ship
from pypdf import PdfReader
from recording_printer import RecordingPrinter

from cdtui.sandbox.server import SandboxServer


@pytest.fixture
def printer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecordingPrinter:
    rec = RecordingPrinter(tmp_path, "-d", "packing")
    monkeypatch.setenv("CDTUI_PRINT_COMMAND", rec.command)
    return rec


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _label_run(ready: Run, ids: list[str]) -> list[dict[str, object]]:
    r = ready("label", *ids, "--json")
    assert r.code == 0, r.err
    out = r.json()
    assert isinstance(out, list) and all(o["ok"] for o in out)
    return out


def test_a_bulk_run_prints_one_merged_pdf_a6(ready: Run, printer: RecordingPrinter) -> None:
    ids = to_ship(ready)[:5]
    outcomes = _label_run(ready, ids)
    # one call of the print command for the five labels, with the batch's PDF
    assert len(printer.calls) == 1
    assert printer.calls[0][:2] == ["-d", "packing"]
    [batch_id] = {o["batch"] for o in outcomes}
    assert isinstance(batch_id, str)
    reader = printer.pdf(1)
    assert len(reader.pages) == 5  # A6: one page per label
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (298, 420)
    text = _text(reader)
    for o in outcomes:
        assert str(o["tracking_number"]) in text
    # the batch is kept, private, with its manifest; the printed file is the kept one
    listed = ready("batches", "--json").json()
    assert isinstance(listed, list) and len(listed) == 1
    kept = listed[0]
    assert kept["id"] == batch_id and kept["labels"] == 5 and kept["pages"] == 5
    assert [o["order_id"] for o in kept["orders"]] == ids
    assert len(kept["prints"]) == 1
    path = Path(kept["path"])
    assert path.read_bytes() == printer.copy(1)
    assert path.parent.parent.name == "batches"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert [o["order_id"] for o in manifest["orders"]] == ids
    assert stat.S_IMODE(path.with_suffix(".json").stat().st_mode) == 0o600


def test_a4_puts_four_labels_on_a_sheet(ready: Run, printer: RecordingPrinter) -> None:
    ok = ready("setup", "--paper", "A4")
    assert ok.code == 0, ok.err
    ids = to_ship(ready)[:6]
    outcomes = _label_run(ready, ids)
    assert len(printer.calls) == 1
    reader = printer.pdf(1)
    assert len(reader.pages) == math.ceil(6 / 4)
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)
    first, second = (page.extract_text() for page in reader.pages)
    for o in outcomes[:4]:
        assert str(o["tracking_number"]) in first
    for o in outcomes[4:]:
        assert str(o["tracking_number"]) in second
    listed = ready("batches").out
    assert "6 labels on 2 A4 pages" in listed


def test_paper_setting_is_checked(ready: Run, cdtui_home: Path) -> None:
    before = (cdtui_home / "config.json").read_bytes()
    bad = ready("setup", "--paper", "a5")
    assert bad.code == 2 and "--paper" in bad.err and "a4" in bad.err
    assert (cdtui_home / "config.json").read_bytes() == before


def test_a_single_label_prints_at_once_without_a_batch(
    ready: Run, printer: RecordingPrinter
) -> None:
    [order_id] = to_ship(ready)[:1]
    r = ready("label", order_id, "--json")
    assert r.code == 0, r.err
    assert len(printer.calls) == 1
    assert printer.calls[0][-1] == r.json()["label_path"]  # type: ignore[index]
    assert ready("batches", "--json").json() == []


def test_customs_declarations_go_in_the_batch(
    ready: Run, printer: RecordingPrinter, sandbox: SandboxServer
) -> None:
    assert ready("integration", "update", "1", "--default-hs-code", "851830").code == 0
    gb = sandbox.world.showcase["onbuy_gb"]
    ids = [to_ship(ready)[0], gb]
    outcomes = _label_run(ready, ids)
    assert outcomes[1]["customs_path"]
    assert len(printer.calls) == 1
    reader = printer.pdf(1)
    customs_pages = len(PdfReader(str(outcomes[1]["customs_path"])).pages)
    assert len(reader.pages) == 2 + customs_pages
    # each declaration follows its label
    assert str(outcomes[1]["tracking_number"]) in reader.pages[1].extract_text()
    assert reader.pages[2].mediabox[3] > 800  # the A4 declaration


def test_zpl_batch_is_the_labels_one_after_the_other(
    ready: Run, printer: RecordingPrinter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDTUI_LABEL_FORMAT", "zpl")
    ids = to_ship(ready)[:3]
    outcomes = _label_run(ready, ids)
    assert len(printer.calls) == 1
    stream = printer.copy(1)
    files = [Path(str(o["label_path"])).read_bytes().strip() for o in outcomes]
    assert stream == b"\n".join(files) + b"\n"
    blocks = [b for b in stream.split(b"^XZ") if b.strip()]
    assert len(blocks) == 3 and all(b.strip().startswith(b"^XA") for b in blocks)
    assert printer.calls[0][-1].endswith(".zpl")


def test_reprint_by_batch_and_by_order(ready: Run, printer: RecordingPrinter) -> None:
    ids = to_ship(ready)[:4]
    outcomes = _label_run(ready, ids)
    batch_id = str(outcomes[0]["batch"])
    r = ready("print", "--batch", batch_id)
    assert r.code == 0, r.err
    assert f"Batch {batch_id} printed again: 4 labels on 4 A6 pages" in r.out
    assert len(printer.calls) == 2 and printer.copy(2) == printer.copy(1)
    # a fresh batch of two orders' existing labels: one call, their pages only
    r = ready("print", ids[2], ids[0], "--json")
    assert r.code == 0, r.err
    fresh = r.json()
    assert isinstance(fresh, dict) and fresh["printed"] is True and fresh["id"] != batch_id
    assert len(printer.calls) == 3
    reader = printer.pdf(3)
    assert len(reader.pages) == 2
    assert str(outcomes[2]["tracking_number"]) in reader.pages[0].extract_text()
    assert str(outcomes[0]["tracking_number"]) in reader.pages[1].extract_text()
    # listed newest first, each with its prints
    listed = ready("batches", "--json").json()
    assert isinstance(listed, list)
    assert [b["id"] for b in listed] == [fresh["id"], batch_id]
    assert [len(b["prints"]) for b in listed] == [1, 2]
    table = ready("batches").out.splitlines()
    assert table[0].split()[:2] == ["BATCH", "MADE"]
    assert table[1].startswith(fresh["id"]) and table[2].startswith(batch_id)


def test_print_refuses_bad_input_and_changes_nothing(
    ready: Run, printer: RecordingPrinter, cdtui_home: Path
) -> None:
    ids = to_ship(ready)
    labelled = _label_run(ready, ids[:2])
    batches = cdtui_home / "labels" / "batches"
    kept = sorted(p.name for p in batches.rglob("*"))
    for argv, said in (
        (["print", "--batch", "../../etc/passwd"], "is not a batch id"),
        (["print", "--batch", "2020-01-01-000000-1"], "There is no batch"),
        (["print", ids[5]], "has no label to print"),
        (["print", "NO-SUCH-ORDER"], "NO-SUCH-ORDER"),
        (["print"], "Give either --batch ID or the orders"),
        (["print", ids[0], "--batch", str(labelled[0]["batch"])], "Give either"),
    ):
        r = ready(*argv)
        assert r.code == 2, (argv, r.err)
        assert said in r.err
    assert len(printer.calls) == 1  # the bulk run's only
    assert sorted(p.name for p in batches.rglob("*")) == kept


def test_without_a_print_command_the_batch_is_kept_and_print_says_so(ready: Run) -> None:
    ids = to_ship(ready)[:2]
    r = ready("label", *ids)
    assert r.code == 0, r.err
    assert "2 labels on 2 A6 pages, not printed; kept in" in r.out
    [batch] = ready("batches", "--json").json()  # type: ignore[misc]
    assert batch["prints"] == []
    r = ready("print", "--batch", batch["id"])
    assert r.code == 2 and "--print-command" in r.err


def test_a_failing_printer_keeps_the_batch_and_fails_the_run(
    ready: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "jammed.py"
    script.write_text("import sys\nsys.exit(3)\n")
    monkeypatch.setenv("CDTUI_PRINT_COMMAND", f"{sys.executable} {script}")
    ids = to_ship(ready)[:2]
    r = ready("label", *ids)
    assert r.code == 1
    assert "the print batch: The print command failed (exit status 3)" in r.err
    assert "not printed" in r.out
    [batch] = ready("batches", "--json").json()  # type: ignore[misc]
    assert batch["labels"] == 2 and batch["prints"] == []


def test_picking_list_and_slips_come_first_in_the_same_batch(
    ready: Run, printer: RecordingPrinter, sandbox: SandboxServer
) -> None:
    ids = to_ship(ready)[:3]
    r = ready("label", *ids, "--picklist", "--slips", "--json")
    assert r.code == 0, r.err
    outcomes = r.json()
    assert isinstance(outcomes, list)
    assert len(printer.calls) == 1  # labels and paperwork: one document, one call
    reader = printer.pdf(1)
    pages = [page.extract_text() for page in reader.pages]
    references = [o["reference"] for o in ready("orders", "--json").json() if o["order_id"] in ids]  # type: ignore[union-attr, index]
    assert len(pages) > 3 + 1 + 1
    assert "Picking list" in pages[0]
    # the slips, one per order (with its reference), then the three labels
    slips = "\n".join(pages[1:-3])
    assert all(ref in slips for ref in references)
    for page, o in zip(pages[-3:], outcomes, strict=True):
        assert str(o["tracking_number"]) in page
    [kept] = ready("batches", "--json").json()  # type: ignore[misc]
    assert kept["documents"] == ["picking list", "packing slips"]
    assert kept["labels"] == 3 and kept["pages"] == len(pages)
    listed = ready("batches").out.splitlines()
    assert listed[0].split() == ["BATCH", "MADE", "LABELS", "WITH", "PRINTS", "ORDERS"]
    assert "3 labels on" in listed[1] and "list, slips" in listed[1]

    # a fresh batch of two orders with their slips, on A4: the slips, then one sheet
    assert ready("setup", "--paper", "a4").code == 0
    r = ready("print", ids[0], ids[1], "--slips")
    assert r.code == 0, r.err
    reader = printer.pdf(2)
    last = reader.pages[-1].extract_text()
    assert str(outcomes[0]["tracking_number"]) in last
    assert str(outcomes[1]["tracking_number"]) in last
    assert round(float(reader.pages[0].mediabox[3])) == 842
    assert "Picking list" not in reader.pages[0].extract_text()


def test_paperwork_flags_refused_where_they_cannot_apply(
    ready: Run, printer: RecordingPrinter, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = to_ship(ready)[:2]
    one = ready("label", ids[0], "--slips")
    assert one.code == 2 and "cdtui slips" in one.err
    assert ready("print", "--batch", "2026-11-30-231501-1", "--picklist").code == 2
    monkeypatch.setenv("CDTUI_LABEL_FORMAT", "zpl")
    zpl = ready("label", *ids, "--picklist")
    assert zpl.code == 2 and "ZPL" in zpl.err
    assert sandbox.world.stats["announce_requests"] == 0, "refused before anything was bought"
    assert printer.calls == []


def test_the_setting_starts_every_bulk_batch_with_the_paperwork(
    ready: Run, printer: RecordingPrinter, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ready("setup", "--batch-documents", "on").code == 0
    ids = to_ship(ready)[:4]
    outcomes = _label_run(ready, ids[:2])
    assert len(printer.calls) == 1
    pages = [page.extract_text() for page in printer.pdf(1).pages]
    assert "Picking list" in pages[0]
    assert all(str(o["tracking_number"]) in p for o, p in zip(outcomes, pages[-2:], strict=True))
    [kept] = ready("batches", "--json").json()  # type: ignore[misc]
    assert kept["documents"] == ["picking list", "packing slips"]
    # ZPL labels: the batch is the labels alone (PDF cannot join a ZPL stream)
    monkeypatch.setenv("CDTUI_LABEL_FORMAT", "zpl")
    _label_run(ready, ids[2:])
    assert len(printer.calls) == 2 and printer.copy(2).startswith(b"^XA")
    assert ready("batches", "--json").json()[0]["documents"] == []  # type: ignore[index]
