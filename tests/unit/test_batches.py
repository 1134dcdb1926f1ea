"""Print batches without the network: the merged documents (read back with pypdf), the
imposition on A4, refusals, the kept batches' names, numbers and listing."""

from __future__ import annotations

import io
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from cdtui.batches import A4_POINTS, Batches, BatchItem, LabelRun, check_batch_id, run_news
from cdtui.errors import CdtuiError, UsageError
from cdtui.sandbox import documents

NOW = datetime(2026, 11, 30, 22, 15, 1, tzinfo=UTC)


def _content(i: int) -> documents.LabelContent:
    return documents.LabelContent(
        carrier="Colissimo",
        service="Home",
        tracking_number=f"6A{i:010d}",
        order_number=f"REF{i}",
        parcel_id=str(i),
        weight_kg="1.0",
        recipient=[f"Client {i}", "", "1 rue X", "75001 Paris", "FR"],
    )


def _item(folder: Path, i: int, *, paper: str = "A6", fmt: str = "pdf") -> BatchItem:
    content = _content(i)
    path = folder / f"REF{i}.{fmt}"
    if fmt == "pdf":
        path.write_bytes(documents.build_pdf([content], paper))
    else:
        path.write_bytes(documents.build_zpl(content, paper))
    return BatchItem(f"SCID{i}", f"REF{i}", content.tracking_number, path)


def _placements(reader: PdfReader, n: int) -> list[tuple[float, float, float]]:
    """(scale, x, y) of each label drawn on sheet ``n``."""
    data = reader.pages[n].get_contents().get_data().decode()  # type: ignore[union-attr]
    return [
        (float(s), float(x), float(y))
        for s, x, y in re.findall(r"q ([\d.]+) 0 0 [\d.]+ ([-\d.]+) ([-\d.]+) cm", data)
    ]


def test_a4_imposes_four_labels_a_sheet_in_reading_order(tmp_path: Path) -> None:
    items = [_item(tmp_path, i) for i in range(5)]
    batch = Batches(tmp_path / "labels").create(items, paper="A4", now=NOW)
    reader = PdfReader(batch.path)
    assert batch.pages == len(reader.pages) == 2
    cell_w, cell_h = A4_POINTS[0] / 2, A4_POINTS[1] / 2
    spots = _placements(reader, 0)
    assert len(spots) == 4 and all(0.99 < s <= 1 for s, _, _ in spots)  # A6: its own size
    # top left, top right, bottom left, bottom right
    cells = [(int(x // cell_w), int(y // cell_h)) for _, x, y in spots]
    assert cells == [(0, 1), (1, 1), (0, 0), (1, 0)]
    words = reader.pages[0].extract_text()
    order = [words.index(items[i].tracking_number or "") for i in range(4)]
    assert order == sorted(order)
    assert items[4].tracking_number in reader.pages[1].extract_text()
    assert len(_placements(reader, 1)) == 1


def test_a4_fits_a_larger_or_turned_label_in_its_cell(tmp_path: Path) -> None:
    big = _item(tmp_path, 1, paper="A4")
    turned = tmp_path / "turned.pdf"
    writer = PdfWriter()
    writer.append(str(_item(tmp_path, 2).label_path))
    writer.pages[0].rotate(90)
    writer.write(turned)
    items = [big, BatchItem("SCID2", "REF2", "6A0000000002", turned)]
    batch = Batches(tmp_path / "labels").create(items, paper="A4", now=NOW)
    reader = PdfReader(batch.path)
    (s1, x1, y1), (s2, _, _) = _placements(reader, 0)
    cell_w, cell_h = A4_POINTS[0] / 2, A4_POINTS[1] / 2
    assert 595 * s1 <= cell_w + 0.01 and 842 * s1 <= cell_h + 0.01  # shrunk into the cell
    assert x1 >= 0 and y1 >= cell_h - 0.01  # the top-left one, centred in it
    # the turned A6 (420 wide, 298 high) is shrunk to the cell's width
    assert 420 * s2 == pytest.approx(cell_w, abs=0.05)
    text = reader.pages[0].extract_text()
    assert "6A0000000001" in text and "6A0000000002" in text


def test_a6_keeps_each_customs_declaration_after_its_label(tmp_path: Path) -> None:
    one, two = _item(tmp_path, 1), _item(tmp_path, 2)
    customs = tmp_path / "customs.pdf"
    customs.write_bytes(documents.build_pdf([_content(99)], "A4"))
    two = BatchItem(two.order_id, two.reference, two.tracking_number, two.label_path, customs)
    batch = Batches(tmp_path / "labels").create([two, one], paper="A6", now=NOW)
    reader = PdfReader(batch.path)
    assert [round(float(p.mediabox.height)) for p in reader.pages] == [420, 842, 420]
    assert "6A0000000002" in reader.pages[0].extract_text()
    assert "6A0000000099" in reader.pages[1].extract_text()
    assert [o["order_id"] for o in batch.orders] == ["SCID2", "SCID1"]
    assert batch.orders[0]["customs"] is True


def test_zpl_with_customs_keeps_the_declarations_in_a_pdf_beside(tmp_path: Path) -> None:
    one, two = _item(tmp_path, 1, fmt="zpl"), _item(tmp_path, 2, fmt="zpl")
    customs = tmp_path / "customs.pdf"
    customs.write_bytes(documents.build_pdf([_content(99)], "A4"))
    two = BatchItem(two.order_id, two.reference, two.tracking_number, two.label_path, customs)
    batch = Batches(tmp_path / "labels").create([one, two], paper="A4", now=NOW)
    assert batch.format == "zpl" and batch.labels == 2 and batch.path.suffix == ".zpl"
    assert batch.path.read_bytes().count(b"^XA") == 2
    assert batch.customs_path is not None
    assert len(PdfReader(batch.customs_path).pages) == 1
    assert Batches(tmp_path / "labels").get(batch.id).customs_path == batch.customs_path


def test_bad_documents_are_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    batches = Batches(tmp_path / "labels")
    good = _item(tmp_path, 1)
    torn = tmp_path / "torn.pdf"
    torn.write_bytes(good.label_path.read_bytes()[:200])
    with pytest.raises(CdtuiError, match="order REF9 is not a readable PDF"):
        batches.create([good, BatchItem("SCID9", "REF9", None, torn)], paper="A6", now=NOW)
    fake = tmp_path / "fake.zpl"
    fake.write_bytes(b"%PDF-1.4 not a label")
    with pytest.raises(CdtuiError, match="order REF8 is not a ZPL label"):
        batches.create([BatchItem("SCID8", "REF8", None, fake)], paper="A6", now=NOW)
    with pytest.raises(UsageError, match="different formats"):
        batches.create([good, _item(tmp_path, 2, fmt="zpl")], paper="A6", now=NOW)
    with pytest.raises(UsageError, match="no label"):
        batches.create([], paper="A6", now=NOW)
    assert not batches.root.exists() or not any(batches.root.rglob("*.*"))
    assert batches.all() == []


def test_kept_batches_numbered_private_and_listed_newest_first(tmp_path: Path) -> None:
    batches = Batches(tmp_path / "labels")
    item = _item(tmp_path, 1)
    first = batches.create([item], paper="A6", now=NOW)
    second = batches.create([item], paper="A6", now=NOW)
    local = NOW.astimezone()
    day, time = local.strftime("%Y-%m-%d"), local.strftime("%H%M%S")
    assert (first.id, second.id) == (f"{day}-{time}-1", f"{day}-{time}-2")
    assert second.path == tmp_path / "labels" / "batches" / day / f"{time}-2.pdf"
    for path in (second.path, second.path.with_suffix(".json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (second.path.parent, second.path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    later = batches.create([item], paper="A6", now=NOW.replace(day=30, hour=23))
    assert [b.id for b in batches.all()] == [later.id, second.id, first.id]
    assert [b.id for b in batches.of_day(NOW)][-2:] == [second.id, first.id]
    # a damaged manifest is skipped, the others still listed
    first.path.with_suffix(".json").write_bytes(b"{not json")
    assert [b.id for b in batches.all()] == [later.id, second.id]
    batches.printed(second, NOW)
    assert batches.get(second.id).prints == ["2026-11-30T22:15:01Z"]
    assert PdfReader(io.BytesIO(second.path.read_bytes())).pages


@pytest.mark.parametrize(
    "value", ["../../etc/passwd", "2026-11-30", "2026-11-30-2315-1", "2026-11-30-231501-1/..", ""]
)
def test_batch_ids_typed_by_a_person_are_checked(value: str) -> None:
    with pytest.raises(UsageError, match="is not a batch id"):
        check_batch_id(value)
    assert check_batch_id(" 2026-11-30-231501-12 ") == ("2026-11-30", "231501-12")


def test_what_a_bulk_run_says_of_its_batch(tmp_path: Path) -> None:
    batch = Batches(tmp_path / "labels").create([_item(tmp_path, 1)], paper="A6", now=NOW)
    run = LabelRun()
    assert run_news(run) == (None, False)  # no label saved: no batch, nothing to say
    run.batch_error = "The labels folder is full."
    assert run_news(run) == ("No print batch: The labels folder is full.", True)
    run.batch, run.batch_error = batch, None
    text, failed = run_news(run)
    assert text is not None and text.startswith("Kept, not printed (no print command)")
    assert str(batch.path) in text and not failed
    run.printed = True
    assert run_news(run) == (
        f"Printed in one go: batch {batch.id} (1 label on 1 A6 page). P prints it again.",
        False,
    )
    run.printed, run.batch_error = False, "The print command failed (exit status 3)."
    text, failed = run_news(run)
    assert failed and text is not None and "exit status 3" in text and "P prints it" in text


def test_p_offers_todays_batches_else_the_last_one(tmp_path: Path) -> None:
    batches = Batches(tmp_path / "labels")
    assert batches.recent(NOW) == []
    item = _item(tmp_path, 1)
    old = batches.create([item], paper="A6", now=NOW.replace(day=20))
    older = batches.create([item], paper="A6", now=NOW.replace(day=10))
    assert [b.id for b in batches.recent(NOW)] == [old.id]  # none today: the last one
    first = batches.create([item], paper="A6", now=NOW)
    second = batches.create([item], paper="A6", now=NOW.replace(minute=30))
    assert [b.id for b in batches.recent(NOW)] == [second.id, first.id]
    assert [b.id for b in batches.all()] == [second.id, first.id, old.id, older.id]
