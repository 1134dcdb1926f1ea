"""Where documents are saved: ``<labels>/documents/<date>/<kind>-<HHMMSS>.pdf``,
private (folders 0700, files 0600: they carry customers' names and addresses)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from cdtui.documents.picking import picking_list_pdf
from cdtui.documents.slips import packing_slips_pdf
from cdtui.errors import CdtuiError
from cdtui.label_files import inside, write_file_atomically
from cdtui.models import OrderRecord

#: the kinds of document and the start of their file names
PICKLIST, SLIPS = "picklist", "slips"


def documents_folder(labels_path: Path, now: datetime) -> Path:
    """The folder of the day's documents under the labels folder."""
    return labels_path / "documents" / f"{now:%Y-%m-%d}"


def save_document(folder: Path, kind: str, now: datetime, data: bytes) -> Path:
    """Writes ``data`` as ``<kind>-<HHMMSS>.pdf`` in ``folder`` (``-2``, ``-3``… when
    that name is taken); ``CdtuiError`` when the disk refuses."""
    base = f"{kind}-{now:%H%M%S}"
    name, n = f"{base}.pdf", 2
    while (folder / name).exists():
        name, n = f"{base}-{n}.pdf", n + 1
    return write_to(inside(folder, name), data)


def write_to(path: Path, data: bytes) -> Path:
    """Writes ``data`` at ``path`` privately; its folder must exist unless it is under
    cdtui's own folders (``save_document`` creates those)."""
    try:
        write_file_atomically(path, data)
    except OSError as exc:
        raise CdtuiError(f"Could not write {path}: {exc.strerror or exc}.") from None
    return path


def save_documents(
    records: Sequence[OrderRecord], *, labels_path: Path, paper: str, now: datetime
) -> tuple[Path, Path]:
    """The picking list and the packing slips of ``records``, saved in the day's folder
    (``documents_folder``); ``CdtuiError`` when the disk refuses."""
    folder = documents_folder(labels_path, now)
    picklist = save_document(folder, PICKLIST, now, picking_list_pdf(records, now, paper))
    slips = save_document(folder, SLIPS, now, packing_slips_pdf(records, paper))
    return picklist, slips
