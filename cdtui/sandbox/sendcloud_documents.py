"""The sandbox's Sendcloud document routes: parcel labels, bulk labels, customs forms.

What a label or a customs declaration says is built here from the shipment;
:mod:`cdtui.sandbox.documents` renders it (PDF, ZPL, PNG).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cdtui.sandbox import documents
from cdtui.sandbox.catalogue import SC_CARRIERS
from cdtui.sandbox.data import stamp
from cdtui.sandbox.endpoint import PDF, PNG, ZPL, Principal, Reply, endpoint, sc_error
from cdtui.sandbox.records import ParcelRec, ShipmentRec
from cdtui.sandbox.world import World


def label_content(s: ShipmentRec, p: ParcelRec) -> documents.LabelContent:
    to = s.to_address
    street = str(to.get("address_line_1") or "")
    house = to.get("house_number")
    if house and str(house) not in street:
        street = f"{street} {house}"
    lines = [str(to.get("name") or "")]
    point = s.service_point
    if point is not None:  # delivered to the relay point, for the buyer
        lines += [f"c/o {point.name} — point {point.carrier_service_point_id}", point.street]
        lines.append(f"{point.postal_code} {point.city}")
        lines.append(point.country)
    else:
        if to.get("company_name"):
            lines.append(str(to["company_name"]))
        lines.append(street)
        if to.get("address_line_2"):
            lines.append(str(to["address_line_2"]))
        lines.append(f"{to.get('postal_code') or ''} {to.get('city') or ''}".strip())
        lines.append(str(to.get("country_code") or "").upper())
    return documents.LabelContent(
        carrier=SC_CARRIERS[s.option.carrier].name,
        service=s.option.name,
        tracking_number=p.tracking_number or "",
        order_number=s.order_number or "",
        parcel_id=str(p.id),
        weight_kg=f"{p.weight:.3f}",
        recipient=lines,
    )


def _customs_content(s: ShipmentRec, p: ParcelRec) -> documents.CustomsContent:
    info = s.customs_information or {}
    to = s.to_address
    items = []
    for item in p.items:
        if not isinstance(item, dict):
            continue
        weight = item.get("weight") if isinstance(item.get("weight"), dict) else {}
        price = item.get("price") if isinstance(item.get("price"), dict) else {}
        items.append(
            documents.CustomsItem(
                description=str(item.get("description") or ""),
                quantity=int(item.get("quantity") or 0),
                hs_code=str(item.get("hs_code") or ""),
                origin_country=str(item.get("origin_country") or "").upper(),
                weight=f"{weight.get('value', '')} {weight.get('unit', '')}".strip(),
                value=f"{price.get('value', '')} {price.get('currency', '')}".strip(),
            )
        )
    recipient = [str(to.get("name") or ""), str(to.get("address_line_1") or "")]
    recipient.append(f"{to.get('postal_code') or ''} {to.get('city') or ''}".strip())
    recipient.append(str(to.get("country_code") or "").upper())
    return documents.CustomsContent(
        carrier=SC_CARRIERS[s.option.carrier].name,
        tracking_number=p.tracking_number or "",
        order_number=s.order_number or "",
        parcel_id=str(p.id),
        invoice_number=str(info.get("invoice_number") or ""),
        invoice_date=str(info.get("invoice_date") or stamp(s.created_at)[:10]),
        export_reason=str(info.get("export_reason") or ""),
        export_type=str(info.get("export_type") or "commercial_b2c"),
        recipient=recipient,
        items=items,
    )


def render(pages: list[documents.LabelContent], mime: str, paper: str, dpi: int | None) -> bytes:
    if mime == PDF:
        return documents.build_pdf(pages, paper)
    if mime == ZPL:
        return b"".join(documents.build_zpl(c, paper, dpi or 203) for c in pages)
    return documents.build_png(pages[0], paper, dpi or 150)


def _label_request(request: Request) -> tuple[str, str, int | None]:
    """(mime type, paper size, dpi) from Accept and the query, or a Reply 400/406."""
    accept = request.headers.get("accept", "")
    mime = None
    wanted = [p.split(";")[0].strip().lower() for p in accept.split(",") if p.strip()]
    if not wanted:
        mime = PDF
    for item in wanted:
        if item in (PDF, ZPL, PNG):
            mime = item
            break
        if item in ("*/*", "application/*"):
            mime = PDF
            break
        if item == "image/*":
            mime = PNG
            break
    if mime is None:
        raise Reply(
            sc_error(
                406,
                "not_acceptable",
                "Label documents are available as application/pdf, application/zpl or image/png.",
            )
        )
    paper = request.query_params.get("paper_size", "A6").strip().upper()
    if paper not in documents.PAPER_POINTS:
        raise Reply(
            sc_error(
                400,
                "invalid_choice",
                f'"{paper}" is not a valid paper size (A4, A5, A6).',
                "paper_size",
            )
        )
    dpi = None
    raw = request.query_params.get("dpi")
    if raw:
        allowed = {PDF: range(72, 601), PNG: (150, 300), ZPL: (203, 300, 600)}[mime]
        try:
            dpi = int(raw)
        except ValueError:
            dpi = -1
        if dpi not in allowed:
            raise Reply(sc_error(400, "invalid_choice", f'"{raw}" is not a valid dpi.', "dpi"))
    return mime, paper, dpi


def _document(mime: str, body: bytes, name: str) -> Response:
    ext = {PDF: "pdf", ZPL: "zpl", PNG: "png"}[mime]
    return Response(
        body,
        200,
        media_type=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )


@endpoint("sendcloud")
async def parcel_label(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    mime, paper, dpi = _label_request(request)
    raw_id = request.path_params["parcel_id"]
    with world.lock:
        hit = world.parcel(key, int(raw_id)) if raw_id.isdigit() else None
        if hit is None:
            return sc_error(404, "not_found", f"Parcel {raw_id} was not found.")
        s, p = hit
        if p.failure:
            return sc_error(
                404, "not_found", f"Parcel {raw_id} has no label: its announcement failed."
            )
        body = render([label_content(s, p)], mime, paper, dpi)
        world.stats["documents"] += 1
        world.stats["label_downloads"] += 1
        world.label_downloads[p.id] += 1
    return _document(mime, body, f"label-{p.id}")


@endpoint("sendcloud")
async def parcel_customs(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    accept = request.headers.get("accept", "")
    wanted = [v.split(";")[0].strip().lower() for v in accept.split(",") if v.strip()]
    if wanted and not any(v in (PDF, "*/*", "application/*") for v in wanted):
        return sc_error(406, "not_acceptable", "Customs declarations are available as PDF.")
    raw_id = request.path_params["parcel_id"]
    with world.lock:
        hit = world.parcel(key, int(raw_id)) if raw_id.isdigit() else None
        if hit is None:
            return sc_error(404, "not_found", f"Parcel {raw_id} was not found.")
        s, p = hit
        if p.failure or not s.has_customs:
            return sc_error(
                404, "not_found", f"Parcel {raw_id} has no customs-declaration document."
            )
        body = documents.build_customs_pdf(_customs_content(s, p))
        world.stats["documents"] += 1
        world.stats["customs_downloads"] += 1
    return _document(PDF, body, f"customs-declaration-{p.id}")


@endpoint("sendcloud")
async def bulk_labels(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    mime, paper, dpi = _label_request(request)
    if mime == PNG:
        return sc_error(406, "not_acceptable", "Bulk labels are available as PDF or ZPL.")
    ids = [v.strip() for v in request.query_params.get("parcels", "").split(",") if v.strip()]
    if not ids or len(ids) > 20:
        return sc_error(400, "invalid", "Give between 1 and 20 parcel ids.", "parcels")
    pages = []
    with world.lock:
        hits = []
        for raw_id in ids:
            hit = world.parcel(key, int(raw_id)) if raw_id.isdigit() else None
            if hit is None or hit[1].failure:
                return sc_error(404, "not_found", f"Parcel {raw_id} has no label.")
            hits.append(hit)
            pages.append(label_content(*hit))
        body = render(pages, mime, paper, dpi)
        world.stats["documents"] += 1
        for _, p in hits:
            world.stats["label_downloads"] += 1
            world.label_downloads[p.id] += 1
    return _document(mime, body, "labels")
