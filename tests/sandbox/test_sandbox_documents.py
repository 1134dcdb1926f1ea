"""Where the label is (on each parcel), the documents' types, the count of label
downloads, and a second cancellation."""

from __future__ import annotations

import base64

from sbhelpers import announce_payload, check_pdf, sendcloud

from cdtui.sandbox.server import SandboxServer


def test_the_label_file_is_on_the_parcel_not_the_shipment(sandbox: SandboxServer) -> None:
    two = announce_payload(ref="two-parcels")
    two["parcels"] = two["parcels"] * 2
    with sendcloud(sandbox) as client:
        one = client.post("/shipments/announce", json=announce_payload(ref="one")).json()["data"]
        many = client.post("/shipments/announce", json=two).json()["data"]
        read = client.get(f"/shipments/{one['id']}").json()["data"]
    assert "label_file" not in one and "label_file" not in many
    check_pdf(base64.b64decode(one["parcels"][0]["label_file"]))
    # the spec: a parcel's label_file is only returned when the shipment has one parcel
    assert [p["label_file"] for p in many["parcels"]] == [None, None]
    assert "label_file" not in read["parcels"][0]  # a read carries links, not files
    assert one["label_details"] == {"mime_type": "application/pdf", "dpi": 72}


def test_documents_carry_document_type_and_the_deprecated_type(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        parcel = client.post("/shipments/announce", json=announce_payload()).json()["data"][
            "parcels"
        ][0]
    [label] = parcel["documents"]
    assert label["document_type"] == "label"
    assert label["type"] == "label"
    assert label["size"] == "a6"
    assert label["link"].endswith(f"/api/v3/parcels/{parcel['id']}/documents/label")


def test_label_downloads_are_counted_per_parcel(sandbox: SandboxServer) -> None:
    world = sandbox.world
    with sendcloud(sandbox) as client:
        a = client.post("/shipments/announce", json=announce_payload(ref="a")).json()["data"]
        b = client.post("/shipments/announce", json=announce_payload(ref="b")).json()["data"]
        pa, pb = a["parcels"][0]["id"], b["parcels"][0]["id"]
        assert world.stats["label_downloads"] == 0  # the announce answer is not a download
        client.get(f"/parcels/{pa}/documents/label")
        client.get(f"/parcels/{pa}/documents/label", headers={"Accept": "application/zpl"})
        client.get("/parcel-documents/label", params={"parcels": f"{pa},{pb}"})
        client.get("/parcels/1/documents/label")  # unknown: not a download
    assert world.label_downloads == {pa: 3, pb: 1}
    assert world.stats["label_downloads"] == 4
    assert max(world.label_downloads.values()) == 3


def test_a_second_cancel_is_409_already_being_cancelled(sandbox: SandboxServer) -> None:
    world = sandbox.world
    world.tracking_step_seconds = 10**9  # parcels stay ready to send
    already = {
        "errors": [
            {
                "status": "409",
                "code": "invalid",
                "detail": "This shipment is already being cancelled.",
            }
        ]
    }
    with sendcloud(sandbox) as client:
        ups = client.post(
            "/shipments/announce", json=announce_payload(ref="u", option="ups:standard")
        ).json()["data"]["id"]
        queued = client.post(f"/shipments/{ups}/cancel")
        during = client.post(f"/shipments/{ups}/cancel")
        status_queued = client.get(f"/shipments/{ups}").json()["data"]["parcels"][0]["status"]
        world.advance(15 * 86400)
        status_done = client.get(f"/shipments/{ups}").json()["data"]["parcels"][0]["status"]
        after = client.post(f"/shipments/{ups}/cancel")
    assert queued.status_code == 202
    assert queued.json() == {
        "data": {"status": "queued", "message": "Shipment cancellation has been queued"}
    }
    assert during.status_code == 409 and during.json() == already
    assert status_queued["code"] == "CANCELLATION_REQUESTED"
    assert status_done["code"] == "CANCELLED"
    assert after.status_code == 409 and after.json() == already
