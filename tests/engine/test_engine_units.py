"""The engine's pure decisions: windows, weights, payloads, claims, redaction."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cdtui import logging_setup
from cdtui.claims import ABANDONED, HOST, claim_is_live
from cdtui.errors import CdtuiError, UsageError
from cdtui.label_files import inside, label_filename, write_file_atomically
from cdtui.models import Integration, LabelClaim, Order, OrderRecord
from cdtui.orders.addresses import house_number
from cdtui.orders.rules import parse_channels, parse_weight
from cdtui.orders.shipping import build_announce_payload, label_weight
from cdtui.pushes import backoff
from cdtui.sync import import_window

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _order(**over: object) -> Order:
    doc: dict[str, object] = {
        "orderId": "O1",
        "reference": "REF1",
        "status": "InPreparation",
        "currencyCode": "EUR",
        "totalPrice": {"sellingPrice": 34.8},
        "lines": [
            {
                "orderLineId": "1",
                "status": "InPreparation",
                "quantity": 2,
                "offer": {
                    "sellerProductId": "SKU-A",
                    "productTitle": "Casque",
                    "supplyMode": "Seller",
                },
                "sellingPrice": {"unitSalesPrice": 14.9},
                "shippingAddress": {
                    "firstName": "Camille",
                    "lastName": "Durand",
                    "addressLine1": "12 rue de la Paix",
                    "addressLine2": "Bât B",
                    "postalCode": "75002",
                    "city": "Paris",
                    "countryCode": "FR",
                    "phone": "+33612345678",
                },
            },
            {
                "orderLineId": "2",
                "status": "InPreparation",
                "quantity": 1,
                "offer": {"sellerProductId": "SKU-W", "supplyMode": "Fulfillment"},
            },
        ],
    }
    doc.update(over)
    return Order.model_validate(doc)


def _rec(order: Order | None = None) -> OrderRecord:
    return OrderRecord(
        order_id="O1", integration_id="1", seller_id="98979", order=order or _order()
    )


def _integ(**over: object) -> Integration:
    return Integration.model_validate(
        {"id": "1", "name": "Shop", "seller_id": "98979", "login": "demo-shop", **over}
    )


# ---------------------------------------------------------------- channels


def test_channels_all_is_default_and_lists_are_cleaned() -> None:
    assert parse_channels(None) == "all"
    assert parse_channels("ALL") == "all"
    assert parse_channels(" CDISFR, RAKUTEN ,CDISFR") == ["CDISFR", "RAKUTEN"]


@pytest.mark.parametrize("bad", ["", ",", "all,CDISFR", "CD IS", "x" * 65])
def test_channels_bad_input_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_channels(bad)


# ---------------------------------------------------------------- sync window


def test_first_run_looks_back_30_days() -> None:
    since, catchup = import_window(_integ(), NOW)
    assert since == NOW - timedelta(days=30) and catchup


def test_incremental_run_overlaps_90_minutes() -> None:
    integ = _integ(
        last_success_started_at=NOW - timedelta(minutes=10),
        last_catchup_at=NOW - timedelta(hours=3),
    )
    since, catchup = import_window(integ, NOW)
    assert since == NOW - timedelta(minutes=100) and not catchup


def test_daily_catch_up_widens_to_two_days() -> None:
    integ = _integ(
        last_success_started_at=NOW - timedelta(minutes=10),
        last_catchup_at=NOW - timedelta(hours=25),
    )
    since, catchup = import_window(integ, NOW)
    assert since == NOW - timedelta(days=2) and catchup


# ---------------------------------------------------------------- weight


def test_weight_parsing() -> None:
    assert parse_weight("1,25") == Decimal("1.250")
    assert parse_weight(" 0.5 ") == parse_weight(".5") == Decimal("0.500")
    assert parse_weight(Decimal("2")) == Decimal("2.000")
    # what a person would not mean as a weight: refused, never read as something else
    for bad in ("0", "-1", "abc", "NaN", "1001", "inf", "1e3", "1.2.3", "１２", "1.0005", ""):
        with pytest.raises(UsageError):
            parse_weight(bad)


def test_weight_from_sku_table_then_integration_then_installation() -> None:
    rec = _rec()
    # only the Seller line is shipped: 2 × 0.4 kg
    assert label_weight(rec, _integ(sku_weights={"SKU-A": "0.4"}), Decimal(1)) == Decimal("0.800")
    assert label_weight(
        rec, _integ(sku_weights={"OTHER": "3"}, default_weight_kg="2.5"), Decimal(1)
    ) == Decimal("2.5")
    assert label_weight(rec, _integ(), Decimal("1.1")) == Decimal("1.1")


# ---------------------------------------------------------------- payload


def test_announce_payload_carries_the_idempotency_key_and_only_merchant_lines() -> None:
    payload = build_announce_payload(
        _rec(),
        option_code="colissimo:home",
        weight_kg=Decimal("0.8"),
        sender_address_id=192,
        label_format="pdf",
        external_reference_id="cdtui-98979-O1",
    )
    assert payload["external_reference_id"] == "cdtui-98979-O1"
    assert payload["from_address"] == {"sender_address_id": 192}
    assert payload["to_address"]["name"] == "Camille Durand"
    assert payload["to_address"]["house_number"] == "12"
    assert payload["to_address"]["address_line_2"] == "Bât B"
    assert payload["parcels"][0]["weight"] == {"value": "0.800", "unit": "kg"}
    items = payload["parcels"][0]["parcel_items"]
    assert [i["sku"] for i in items] == ["SKU-A"] and items[0]["quantity"] == 2
    assert payload["total_order_price"] == {"value": "34.80", "currency": "EUR"}
    assert payload["label_details"]["mime_type"] == "application/pdf"


def test_announce_payload_refuses_an_incomplete_address() -> None:
    order = _order()
    assert order.lines[0].shipping_address is not None
    order.lines[0].shipping_address.city = None
    with pytest.raises(CdtuiError, match="city"):
        build_announce_payload(
            _rec(order),
            option_code="x",
            weight_kg=Decimal(1),
            sender_address_id=1,
            label_format="zpl",
            external_reference_id="r",
        )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12 rue de la Paix", "12"),
        ("Hauptstraße 5a", "5a"),
        ("3 bis avenue Foch", "3bis"),
        ("Lieu-dit", None),
    ],
)
def test_house_number(line: str, expected: str | None) -> None:
    assert house_number(line) == expected


def test_label_filename_is_safe() -> None:
    rec = _rec(_order(reference="../../etc/passwd"))
    name = label_filename(rec, "6A 123/45", "pdf")
    assert "/" not in name and not name.startswith(".") and name.endswith(".pdf")


@pytest.mark.parametrize(
    ("order_id", "reference", "tracking"),
    [
        ("../../", None, None),  # the reported case: wrote to the filesystem root
        ("/..", "", ""),
        ("..", "..", ".."),
        ("O1", "\x1b]52;c;AAAA\x07", "\n\r"),
        ("O1", "R" * 5000, "T" * 5000),  # longer than any file system takes
    ],
)
def test_label_file_names_from_api_data_stay_in_their_folder(
    tmp_path: Path, order_id: str, reference: str | None, tracking: str | None
) -> None:
    rec = _rec(_order(reference=reference))
    rec.order_id = order_id
    name = label_filename(rec, tracking, "pdf")
    assert name and len(name) < 160 and "/" not in name and not name.startswith(".")
    assert all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in name)
    path = inside(tmp_path, name)
    write_file_atomically(path, b"%PDF-1.4")
    assert path.parent == tmp_path and path.read_bytes() == b"%PDF-1.4"
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_name_that_would_leave_its_folder_is_refused(tmp_path: Path) -> None:
    for name in ("../x.pdf", "/etc/x.pdf", "a/../../x.pdf"):
        with pytest.raises(CdtuiError, match="outside"):
            inside(tmp_path, name)
    (tmp_path / "evil.pdf").symlink_to("/tmp/elsewhere.pdf")
    with pytest.raises(CdtuiError, match="outside"):
        inside(tmp_path, "evil.pdf")


def test_label_folders_are_created_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "labels"
    write_file_atomically(target / "x.pdf", b"%PDF")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert os.stat(folder).st_mode & 0o777 == 0o700


def test_backoff_grows_and_is_capped() -> None:
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(2) == timedelta(seconds=60)
    assert backoff(50) == timedelta(hours=1)


# ---------------------------------------------------------------- claims


def _claim(owner: str, age: timedelta = timedelta(seconds=5)) -> LabelClaim:
    return LabelClaim(owner=owner, at=NOW - age, external_reference_id="r")


def test_claim_of_a_live_process_is_live_and_of_a_dead_one_stale() -> None:
    me = f"{HOST}:{os.getpid()}:mine"
    assert claim_is_live(_claim(me), now=NOW, me=me)
    # another live process on this host (our parent)
    assert claim_is_live(_claim(f"{HOST}:{os.getppid()}:x"), now=NOW, me=me)
    # a pid that cannot exist
    assert not claim_is_live(_claim(f"{HOST}:999999999:x"), now=NOW, me=me)
    assert not claim_is_live(_claim(f"{ABANDONED}:{me}x"), now=NOW, me=me)
    assert not claim_is_live(_claim("garbage"), now=NOW, me=me)
    # other hosts: live until old
    assert claim_is_live(_claim("otherhost:1:x"), now=NOW, me=me)
    assert not claim_is_live(_claim("otherhost:1:x", timedelta(hours=1)), now=NOW, me=me)


# ---------------------------------------------------------------- log redaction


def test_log_file_never_holds_secrets(tmp_path: Path) -> None:
    path = logging_setup.configure(tmp_path, ["sandbox-secret-key"])
    log = logging.getLogger("cdtui.test")
    log.warning("headers %s", {"Authorization": "Basic c2FuZGJveDpzZWNyZXQ="})
    log.warning("token answer {'access_token': 'eyJabc.def', 'expires_in': 7200}")
    log.warning("Authorization: Bearer eyJhbGciOi.xyz")
    log.warning("form client_secret=hunter22&grant_type=client_credentials")
    try:
        raise RuntimeError("key sandbox-secret-key leaked")
    except RuntimeError:
        log.exception("boom")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    for secret in (
        "sandbox-secret-key",
        "c2FuZGJveDpzZWNyZXQ=",
        "eyJabc",
        "eyJhbGciOi",
        "hunter22",
    ):
        assert secret not in text
    assert text.count("[redacted]") >= 5
    assert oct(path.stat().st_mode & 0o777) == "0o600"
