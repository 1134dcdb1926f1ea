"""Print batches: many labels made into one document, printed with one call, kept.

A bulk label run (and ``cdtui print ORDER…``) makes a *batch*: the label PDFs merged into
one PDF with pypdf — one label per page on A6 paper, or four A6 labels imposed on each A4
sheet (2×2) — each customs declaration after its label (A6) or after the labels (A4);
or, for thermal printers, one ZPL stream, the labels' ``^XA … ^XZ`` blocks one after
the other (customs declarations are PDF: they go in a PDF beside it).

Batches are kept under ``<labels_dir>/batches/<day>/<HHMMSS>-<n>.<pdf|zpl>`` with a
small JSON manifest ``<HHMMSS>-<n>.json`` (the orders, their references and tracking
numbers, the prints), folders 0700 and files 0600 (they carry customers' addresses). A
batch id is ``<day>-<HHMMSS>-<n>`` (``2026-11-30-231501-3``: the day's third batch); no
part of a name comes from API data, and an id typed by a person is checked against that
shape before it becomes a path.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from cdtui.config import PRIVATE_FILE, private_dir
from cdtui.errors import CdtuiError, UsageError
from cdtui.label_files import write_file_atomically
from cdtui.labels import LabelOutcome
from cdtui.models import iso

log = logging.getLogger(__name__)

Paper = Literal["A6", "A4"]
Format = Literal["pdf", "zpl"]

#: the folder under the labels folder that holds the batches
BATCHES = "batches"
#: sheet sizes in PDF points (1/72 inch): A4, and the A6 cell a quarter of it
A4_POINTS = (595.28, 841.89)
A6_POINTS = (297.64, 420.94)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STEM = re.compile(r"^(\d{6})-(\d{1,6})$")
_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})-(\d{6}-\d{1,6})$")
_SUFFIXES: dict[str, Format] = {".pdf": "pdf", ".zpl": "zpl"}


@dataclass(frozen=True)
class BatchItem:
    """One order's documents in a batch."""

    order_id: str
    reference: str
    tracking_number: str | None
    label_path: Path
    customs_path: Path | None = None


#: the documents a batch can start with: the picking list, the packing slips
PAPERWORK = ("picklist", "slips")


@dataclass(frozen=True)
class Paperwork:
    """A document printed with the labels: ``picking list`` or ``packing slips``."""

    kind: str
    data: bytes


@dataclass
class Batch:
    """A kept batch: its document, what it holds, when it was printed."""

    id: str
    path: Path
    created_at: datetime | None
    format: Format
    paper: str
    orders: list[dict[str, Any]] = field(default_factory=list)
    labels: int = 0
    pages: int | None = None
    #: ZPL batches: the customs declarations, in a PDF beside the stream
    customs_path: Path | None = None
    prints: list[str] = field(default_factory=list)
    #: the documents printed before the labels ("picking list", "packing slips")
    documents: list[str] = field(default_factory=list)

    @property
    def order_ids(self) -> list[str]:
        return [str(o.get("order_id", "")) for o in self.orders]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": str(self.path),
            "created_at": iso(self.created_at) if self.created_at else None,
            "format": self.format,
            "paper": self.paper,
            "labels": self.labels,
            "pages": self.pages,
            "orders": self.orders,
            "customs_path": str(self.customs_path) if self.customs_path else None,
            "prints": self.prints,
            "documents": self.documents,
        }


class LabelRun(list[LabelOutcome]):
    """The outcomes of a label run, one per order in order (a list, as before), and the
    batch its labels were put in and printed with (bulk runs only)."""

    batch: Batch | None = None
    #: why the batch could not be made or printed (its labels are bought and saved)
    batch_error: str | None = None
    #: whether the batch went to the print command
    printed: bool = False


# ---------------------------------------------------------------- documents


def _read(path: Path, reference: str, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CdtuiError(
            f"The {what} of order {reference} cannot be read ({exc.strerror or exc}): {path}."
        ) from None


def _pdf_pages(data: bytes, reference: str, what: str) -> list[Any]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    subject = f"The {what} of order {reference}" if reference else f"The {what}"
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = list(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise CdtuiError(f"{subject} is not a readable PDF ({exc}).") from None
    if not pages:
        raise CdtuiError(f"{subject} has no page.")
    return pages


def _as_form(writer: Any, page: Any) -> Any:
    """The page as a form XObject of ``writer``: its content drawn as one object, clipped
    to its box, with its own resources (nothing to parse or rename, unlike a merge)."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

    contents = page.get("/Contents")
    data = b""
    if contents is not None:
        found = contents.get_object()
        streams = found if isinstance(found, ArrayObject) else [found]
        data = b"\n".join(stream.get_object().get_data() for stream in streams)
    form = DecodedStreamObject()
    form.set_data(data)
    box = page.mediabox
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(
        [FloatObject(float(v)) for v in (box.left, box.bottom, box.right, box.top)]
    )
    resources = page.get("/Resources")
    if resources is not None:
        form[NameObject("/Resources")] = resources.get_object().clone(writer)
    return writer._add_object(form.flate_encode())


def _impose(writer: Any, pages: Sequence[Any]) -> None:
    """Four pages a sheet on A4, 2×2 in reading order, each scaled to fit its A6 cell
    (never enlarged: a barcode keeps its printed size) and centred."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    cell_w, cell_h = A4_POINTS[0] / 2, A4_POINTS[1] / 2
    for start in range(0, len(pages), 4):
        sheet = writer.add_blank_page(width=A4_POINTS[0], height=A4_POINTS[1])
        forms = DictionaryObject()
        ops: list[bytes] = []
        for slot, source in enumerate(pages[start : start + 4]):
            page = source
            if source.rotation % 360:  # a turned page: turned in its content, upright box
                page = PdfWriter().add_page(source)
                page.transfer_rotation_to_content()
            box = page.mediabox
            w, h = float(box.width), float(box.height)
            scale = min(1.0, cell_w / w, cell_h / h) if w > 0 and h > 0 else 1.0
            col, row = slot % 2, slot // 2
            x = col * cell_w + (cell_w - w * scale) / 2 - float(box.left) * scale
            y = (1 - row) * cell_h + (cell_h - h * scale) / 2 - float(box.bottom) * scale
            name = f"/Label{slot}"
            forms[NameObject(name)] = _as_form(writer, page)
            ops.append(
                b"q %.4f 0 0 %.4f %.4f %.4f cm %s Do Q" % (scale, scale, x, y, name.encode())
            )
        sheet[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): forms})
        content = DecodedStreamObject()
        content.set_data(b"\n".join(ops))
        sheet[NameObject("/Contents")] = writer._add_object(content.flate_encode())


def _write_pdf(writer: Any) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def merge_pdf(
    items: Sequence[BatchItem], paper: str, documents: Sequence[Paperwork] = ()
) -> tuple[bytes, int]:
    """One PDF of the items' labels and customs declarations; (bytes, page count).

    ``documents`` (a picking list, packing slips) come first, as they are. A6: each label
    page as it is, its customs declaration after it. A4: the label pages four to a
    sheet, then the customs declarations (A4 documents) as they are.
    """
    from pypdf import PdfWriter

    writer = PdfWriter()
    for paperwork in documents:
        for page in _pdf_pages(paperwork.data, "", paperwork.kind):
            writer.add_page(page)
    labels: list[Any] = []
    customs: list[Any] = []
    for item in items:
        label = _pdf_pages(_read(item.label_path, item.reference, "label"), item.reference, "label")
        declaration: list[Any] = []
        if item.customs_path is not None:
            data = _read(item.customs_path, item.reference, "customs declaration")
            declaration = _pdf_pages(data, item.reference, "customs declaration")
        if paper == "A4":
            labels += label
            customs += declaration
        else:
            for page in (*label, *declaration):
                writer.add_page(page)
    if paper == "A4":
        _impose(writer, labels)
        for page in customs:
            writer.add_page(page)
    return _write_pdf(writer), len(writer.pages)


def merge_customs(items: Sequence[BatchItem]) -> bytes | None:
    """The items' customs declarations in one PDF (None when there is none)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for item in items:
        if item.customs_path is not None:
            data = _read(item.customs_path, item.reference, "customs declaration")
            for page in _pdf_pages(data, item.reference, "customs declaration"):
                writer.add_page(page)
    return _write_pdf(writer) if writer.pages else None


def concat_zpl(items: Sequence[BatchItem]) -> tuple[bytes, int]:
    """The labels' ZPL one after the other; (bytes, number of ``^XA … ^XZ`` labels)."""
    parts: list[bytes] = []
    count = 0
    for item in items:
        data = _read(item.label_path, item.reference, "label").strip()
        starts, ends = data.count(b"^XA"), data.count(b"^XZ")
        if not data.startswith(b"^XA") or not data.endswith(b"^XZ") or starts != ends:
            raise CdtuiError(f"The label of order {item.reference} is not a ZPL label (^XA … ^XZ).")
        parts.append(data)
        count += starts
    return b"\n".join(parts) + b"\n", count


def format_of(items: Sequence[BatchItem]) -> Format:
    """The items' label format, from their files; ``UsageError`` when they differ."""
    found = {_SUFFIXES.get(item.label_path.suffix.lower()) for item in items}
    if None in found:
        odd = next(i for i in items if _SUFFIXES.get(i.label_path.suffix.lower()) is None)
        raise UsageError(f"The label of order {odd.reference} is neither a PDF nor ZPL file.")
    if len(found) > 1:
        raise UsageError(
            "These orders' labels are in different formats (PDF and ZPL): print them in "
            "separate batches."
        )
    return found.pop() or "pdf"


# ---------------------------------------------------------------- kept batches


def check_batch_id(value: str) -> tuple[str, str]:
    """(day, stem) of a batch id typed by a person; ``UsageError`` otherwise."""
    match = _ID.match(value.strip())
    if match is None:
        raise UsageError(
            f"{value!r} is not a batch id (such as 2026-11-30-231501-1; `cdtui batches` "
            f"lists them)."
        )
    return match.group(1), match.group(2)


def _sort_key(day: str, stem: str) -> tuple[str, str, int]:
    time, _, n = stem.partition("-")
    return day, time, int(n)


class Batches:
    """The batches kept under ``<labels_dir>/batches`` (blocking: call in a thread)."""

    def __init__(self, labels_dir: Path) -> None:
        self.root = labels_dir / BATCHES

    # ---- create

    def create(
        self,
        items: Sequence[BatchItem],
        *,
        paper: str,
        now: datetime,
        documents: Sequence[Paperwork] = (),
    ) -> Batch:
        """Make and keep the batch of these items (``UsageError`` when there is none),
        ``documents`` first."""
        if not items:
            raise UsageError("There is no label to put in a batch.")
        fmt = format_of(items)
        if fmt == "zpl" and documents:
            raise UsageError(
                "Picking lists and packing slips are PDF, the labels ZPL: print them apart "
                "(`cdtui picklist`, `cdtui slips`)."
            )
        customs: bytes | None = None
        if fmt == "pdf":
            document, pages = merge_pdf(items, paper, documents)
            labels = len(items)
        else:
            document, labels = concat_zpl(items)
            pages = None
            customs = merge_customs(items)
        local = now.astimezone()
        day = local.strftime("%Y-%m-%d")
        folder = private_dir(self.root / day)
        stem, manifest_path = self._reserve(folder, local.strftime("%H%M%S"))
        path = folder / f"{stem}.{fmt}"
        batch = Batch(
            id=f"{day}-{stem}",
            path=path,
            created_at=now,
            format=fmt,
            paper=paper if fmt == "pdf" else "label",
            orders=[
                {
                    "order_id": i.order_id,
                    "reference": i.reference,
                    "tracking_number": i.tracking_number,
                    "customs": i.customs_path is not None,
                }
                for i in items
            ],
            labels=labels,
            pages=pages,
            customs_path=folder / f"{stem}-customs.pdf" if customs else None,
            documents=[d.kind for d in documents],
        )
        try:
            write_file_atomically(path, document)
            if customs and batch.customs_path is not None:
                write_file_atomically(batch.customs_path, customs)
            self._save(batch, manifest_path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                manifest_path.unlink()
            raise CdtuiError(f"The batch could not be saved: {exc.strerror or exc}.") from None
        return batch

    def _reserve(self, folder: Path, time: str) -> tuple[str, Path]:
        """The next free ``<HHMMSS>-<n>`` of the day, taken by creating its manifest
        (exclusively: two processes never get the same number)."""
        taken = [_STEM.match(p.stem) for p in self._manifests(folder)]
        n = 1 + max((int(m.group(2)) for m in taken if m), default=0)
        while True:
            stem = f"{time}-{n}"
            manifest = folder / f"{stem}.json"
            try:
                fd = os.open(manifest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            except FileExistsError:
                n += 1
                continue
            except OSError as exc:
                raise CdtuiError(f"The batch could not be saved: {exc.strerror or exc}.") from None
            os.close(fd)
            return stem, manifest

    @staticmethod
    def _manifests(folder: Path) -> list[Path]:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return []
        return [
            Path(e.path)
            for e in entries
            if e.name.endswith(".json") and _STEM.match(e.name[:-5]) and e.is_file()
        ]

    def _save(self, batch: Batch, manifest: Path) -> None:
        body = batch.as_json()
        body.pop("path")
        body["file"] = batch.path.name
        body["customs_file"] = batch.customs_path.name if batch.customs_path else None
        body.pop("customs_path")
        write_file_atomically(manifest, orjson.dumps(body, option=orjson.OPT_INDENT_2))

    # ---- read

    def get(self, batch_id: str) -> Batch:
        """The batch with this id (``UsageError`` when there is none)."""
        day, stem = check_batch_id(batch_id)
        batch = self._load(self.root / day, day, stem)
        if batch is None:
            raise UsageError(f"There is no batch {batch_id.strip()} (`cdtui batches` lists them).")
        return batch

    def _days(self) -> list[str]:
        """The days that have a batch folder, newest first."""
        try:
            names = [e.name for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return []
        return sorted((n for n in names if _DAY.match(n)), reverse=True)

    def _of(self, day: str) -> list[Batch]:
        """The batches of ``day`` (``YYYY-MM-DD``), newest first."""
        stems = sorted(
            (p.stem for p in self._manifests(self.root / day)),
            key=lambda s: _sort_key(day, s),
            reverse=True,
        )
        loaded = (self._load(self.root / day, day, stem) for stem in stems)
        return [b for b in loaded if b is not None]

    def all(self) -> list[Batch]:
        """Every kept batch, newest first (a damaged manifest is skipped, and logged)."""
        return [b for day in self._days() for b in self._of(day)]

    def of_day(self, now: datetime) -> list[Batch]:
        """The batches of ``now``'s day (local time), newest first."""
        return self._of(now.astimezone().strftime("%Y-%m-%d"))

    def recent(self, now: datetime) -> list[Batch]:
        """The batches of ``now``'s day, newest first; else the last batch there is
        (reads that day's manifests only, however many days are kept)."""
        today = self._of(now.astimezone().strftime("%Y-%m-%d"))
        if today:
            return today
        for day in self._days():
            found = self._of(day)
            if found:
                return found[:1]
        return []

    def _load(self, folder: Path, day: str, stem: str) -> Batch | None:
        manifest = folder / f"{stem}.json"
        try:
            body = orjson.loads(manifest.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError) as exc:
            log.warning("batch manifest %s cannot be read: %s", manifest, exc)
            return None
        if not isinstance(body, dict):
            return None
        fmt = body.get("format")
        if fmt not in ("pdf", "zpl"):
            return None  # reserved, not written yet (or damaged)
        path = folder / f"{stem}.{fmt}"
        customs = folder / f"{stem}-customs.pdf"
        orders = body.get("orders")
        created = body.get("created_at")
        try:
            created_at = datetime.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:
            created_at = None
        prints, docs = body.get("prints"), body.get("documents")
        return Batch(
            id=f"{day}-{stem}",
            path=path,
            created_at=created_at,
            format=fmt,
            paper=str(body.get("paper") or ""),
            orders=[o for o in orders if isinstance(o, dict)] if isinstance(orders, list) else [],
            labels=body["labels"] if isinstance(body.get("labels"), int) else 0,
            pages=body["pages"] if isinstance(body.get("pages"), int) else None,
            customs_path=customs if body.get("customs_file") else None,
            prints=[p for p in prints if isinstance(p, str)] if isinstance(prints, list) else [],
            documents=[d for d in docs if isinstance(d, str)] if isinstance(docs, list) else [],
        )

    def printed(self, batch: Batch, at: datetime) -> None:
        """Note in the manifest that the batch went to the printer at ``at``."""
        batch.prints.append(iso(at))
        day, stem = check_batch_id(batch.id)
        try:
            self._save(batch, self.root / day / f"{stem}.json")
        except OSError as exc:  # the print happened: only its note is lost
            log.warning("batch %s: the print could not be noted: %s", batch.id, exc)


def batch_size(batch: Batch, *, documents: bool = True) -> str:
    """``10 labels on 3 A4 pages`` / ``10 ZPL labels``; with ``documents``, what comes
    before the labels (``picking list + packing slips + 10 labels on 9 A4 pages``)."""
    labels = f"{batch.labels} label{'s' if batch.labels != 1 else ''}"
    if batch.format == "zpl":
        return f"{batch.labels} ZPL label{'s' if batch.labels != 1 else ''}"
    pages = batch.pages or 0
    before = " + ".join(batch.documents) if documents else ""
    return (
        f"{before + ' + ' if before else ''}{labels} on {pages} {batch.paper} "
        f"page{'s' if pages != 1 else ''}"
    )


def batch_line(batch: Batch, *, printed: bool) -> str:
    """One sentence saying what the batch holds, whether it was printed, where it is."""
    done = "printed" if printed else "not printed"
    line = f"Batch {batch.id}: {batch_size(batch)}, {done}; kept in {batch.path}."
    if batch.customs_path is not None:
        line += f" Customs declarations (PDF, print them apart): {batch.customs_path}."
    return line


def run_news(run: LabelRun) -> tuple[str | None, bool]:
    """What a bulk run did with its batch, in one sentence, and whether it went wrong
    (None when the run saved no label)."""
    batch, error = run.batch, run.batch_error
    if batch is None:
        return (f"No print batch: {error}", True) if error else (None, False)
    what = f"batch {batch.id} ({batch_size(batch)})"
    if error:
        return f"Not printed: {what}: {error} P prints it again.", True
    if run.printed:
        return f"Printed in one go: {what}. P prints it again.", False
    return f"Kept, not printed (no print command): {what}, {batch.path}.", False
