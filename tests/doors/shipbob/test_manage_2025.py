"""Get, list, modify, cancel and status history in the 2025-07 dialect."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from homeward.auth.domain import hash_token
from homeward.auth.models import AccessToken
from homeward.db import Database
from homeward.kit.clock import utcnow
from homeward.returns.domain import ReturnStatus
from tests.builders import auth, merchant_headers, return_body
from tests.warehouse.flow import take_to

URL = "/2025-07/return"
ONE_TEE = [{"id": 1001, "quantity": 1, "requested_action": "Default"}]


def create(client: TestClient, demo: dict[str, Any], reference_id: str, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        URL, json=return_body(demo, reference_id=reference_id, **overrides), headers=merchant_headers(demo)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def loose(reference_id: str, **overrides: Any) -> dict[str, Any]:
    """Create-kwargs for a return without a shipment, so any number can be made."""
    return {"original_shipment_id": None, "inventory": ONE_TEE, **overrides}


def test_get_returns_the_created_return(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "G-1")
    fetched = client.get(f"{URL}/{created['id']}", headers=auth(demo["readonly_token"]))
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_another_merchants_return_is_404(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "G-2")
    other = auth(demo["other_token"], demo["other_channel_id"])
    assert client.get(f"{URL}/{created['id']}", headers=other).status_code == 404
    assert client.post(f"{URL}/{created['id']}:cancel", headers=other).status_code == 404
    assert client.put(f"{URL}/{created['id']}", json=return_body(demo), headers=other).status_code == 404
    assert client.get(f"{URL}/{created['id']}/statushistory", headers=other).status_code == 404
    assert client.get(URL, headers=other).json()["items"] == []


def test_a_token_revoked_while_in_use_is_refused_at_its_next_request(
    client: TestClient, demo: dict[str, Any], db: Database
) -> None:
    """Nothing about a caller outlives its request: once its token is revoked, the very next read
    (list, single return, any read of the API) is a 401 like any token that is not valid."""
    headers = merchant_headers(demo)
    created = create(client, demo, "R-1")
    assert client.get(URL, headers=headers).status_code == 200
    assert client.get(f"{URL}/{created['id']}", headers=headers).status_code == 200
    not_valid = client.get(URL, headers=auth("hw_not-a-real-token", demo["channel_id"]))
    with db.write() as session:
        token = AccessToken.token_hash == hash_token(demo["token"])
        session.execute(update(AccessToken).where(token).values(revoked_at=utcnow()))
    for target in (URL, f"{URL}/{created['id']}", "/2025-07/fulfillment-center"):
        response = client.get(target, headers=headers)
        assert response.status_code == 401, target
        assert response.json() == not_valid.json()


def test_unknown_return_is_404_problem(client: TestClient, demo: dict[str, Any]) -> None:
    response = client.get(f"{URL}/123456", headers=merchant_headers(demo))
    assert response.status_code == 404
    assert "123456" in response.json()["detail"]


def test_modify_replaces_items_and_fields(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "M-1")
    change = return_body(
        demo,
        reference_id="M-1-renamed",
        tracking_number="9400100000000000000000",
        inventory=[{"id": 1002, "quantity": 1, "requested_action": "Restock"}],
    )
    response = client.put(f"{URL}/{created['id']}", json=change, headers=merchant_headers(demo))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reference_id"] == "M-1-renamed"
    assert body["tracking_number"] == "9400100000000000000000"
    assert [(i["id"], i["quantity"], i["action_requested"]["action"]) for i in body["inventory"]] == [
        (1002, 1, "Restock")
    ]
    assert client.get(f"{URL}/{created['id']}", headers=merchant_headers(demo)).json() == body


def test_modify_may_keep_its_own_units(client: TestClient, demo: dict[str, Any]) -> None:
    """A return's own units are not 'already returned' when it is modified."""
    created = create(client, demo, "M-2")
    same = return_body(demo, reference_id="M-2", tracking_number="NEW")
    assert client.put(f"{URL}/{created['id']}", json=same, headers=merchant_headers(demo)).status_code == 200


def test_modify_is_checked_like_create(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "M-3")
    bad = return_body(demo, reference_id="M-3")
    bad["inventory"][0]["quantity"] = 5
    response = client.put(f"{URL}/{created['id']}", json=bad, headers=merchant_headers(demo))
    assert response.status_code == 422
    unchanged = client.get(f"{URL}/{created['id']}", headers=merchant_headers(demo)).json()
    assert unchanged == created


def test_modify_cannot_take_another_returns_reference(client: TestClient, demo: dict[str, Any]) -> None:
    create(client, demo, "M-4", **loose("M-4"))
    second = create(client, demo, "M-5", **loose("M-5"))
    response = client.put(
        f"{URL}/{second['id']}",
        json=return_body(demo, reference_id="M-4", **loose("M-4")),
        headers=merchant_headers(demo),
    )
    assert response.status_code == 422
    assert "reference_id" in response.json()["errors"][0]


@pytest.mark.parametrize("status", [ReturnStatus.ARRIVED, ReturnStatus.PROCESSING, ReturnStatus.COMPLETED])
def test_after_arrival_a_return_can_be_neither_modified_nor_cancelled(
    client: TestClient, demo: dict[str, Any], status: ReturnStatus
) -> None:
    created = create(client, demo, "L-1")
    take_to(client, demo, created["id"], status.value)
    headers = merchant_headers(demo)

    modify = client.put(f"{URL}/{created['id']}", json=return_body(demo, reference_id="L-1"), headers=headers)
    cancel = client.post(f"{URL}/{created['id']}:cancel", headers=headers)

    assert modify.status_code == 422 and status.value in modify.json()["message"]
    assert cancel.status_code == 422 and status.value in cancel.json()["message"]
    assert client.get(f"{URL}/{created['id']}", headers=headers).json()["status"] == status.value


def test_cancel_twice_is_refused(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "C-1")
    headers = merchant_headers(demo)
    first = client.post(f"{URL}/{created['id']}:cancel", headers=headers)
    assert first.status_code == 200 and first.json()["status"] == "Cancelled"
    assert client.post(f"{URL}/{created['id']}:cancel", headers=headers).status_code == 422


def test_cancel_needs_write_scope_and_channel(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "C-2")
    assert (
        client.post(
            f"{URL}/{created['id']}:cancel", headers=auth(demo["readonly_token"], demo["channel_id"])
        ).status_code
        == 403
    )
    assert client.post(f"{URL}/{created['id']}:cancel", headers=auth(demo["token"])).status_code == 400
    assert (
        client.get(f"{URL}/{created['id']}", headers=merchant_headers(demo)).json()["status"]
        == "Awaiting Arrival"
    )


def test_status_history_records_every_change_in_order(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "H-1")
    take_to(client, demo, created["id"], "Completed")
    history = client.get(f"{URL}/{created['id']}/statushistory", headers=merchant_headers(demo)).json()
    assert [h["status"] for h in history] == ["Awaiting Arrival", "Arrived", "Processing", "Completed"]
    stamps = [h["time_stamp"] for h in history]
    assert stamps == sorted(stamps)
    completed = client.get(f"{URL}/{created['id']}", headers=merchant_headers(demo)).json()
    assert completed["completed_date"] is not None


def ids(page: dict[str, Any]) -> list[int]:
    return [r["id"] for r in page["items"]]


def test_list_filters(client: TestClient, demo: dict[str, Any]) -> None:
    headers = merchant_headers(demo)
    regular = create(client, demo, "F-1")
    loose_one = create(
        client, demo, "F-2", **loose("F-2", tracking_number="TRK-2", fulfillment_center={"id": 2})
    )
    disposed = create(
        client,
        demo,
        "F-3",
        **loose("F-3", inventory=[{"id": 1002, "quantity": 1, "requested_action": "Dispose"}]),
    )
    take_to(client, demo, loose_one["id"], "Arrived")

    def listed(**params: Any) -> list[int]:
        response = client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return ids(response.json())

    assert listed() == [disposed["id"], loose_one["id"], regular["id"]]
    assert listed(SortOrder="Oldest") == [regular["id"], loose_one["id"], disposed["id"]]
    assert listed(ReferenceIds="F-1,F-3") == [disposed["id"], regular["id"]]
    assert listed(Ids=str(loose_one["id"])) == [loose_one["id"]]
    assert listed(Status="Arrived") == [loose_one["id"]]
    assert listed(Status="AwaitingArrival") == [disposed["id"], regular["id"]]
    assert listed(Status="Awaiting Arrival,Arrived") == [disposed["id"], loose_one["id"], regular["id"]]
    assert listed(FulfillmentCenterIds="2") == [loose_one["id"]]
    assert listed(TrackingNumbers="TRK-2") == [loose_one["id"]]
    assert listed(OriginalShipmentIds=str(demo["shipments"]["regular"]["id"])) == [regular["id"]]
    assert listed(StoreOrderIds=demo["shipments"]["regular"]["store_order_id"]) == [regular["id"]]
    assert listed(InventoryIds="1002") == [disposed["id"], regular["id"]]
    assert listed(ReturnActions="Dispose") == [disposed["id"]]
    assert listed(ReturnTypes="ReturnToSender") == []
    assert listed(ReturnTypes="Regular") == [disposed["id"], loose_one["id"], regular["id"]]
    assert listed(StartDate="2999-01-01T00:00:00Z") == []
    assert listed(EndDate="2000-01-01T00:00:00Z") == []
    assert listed(StartDate=regular["insert_date"], EndDate=disposed["insert_date"]) == [
        disposed["id"],
        loose_one["id"],
        regular["id"],
    ]
    assert listed(CompletedStartDate="2000-01-01T00:00:00Z") == []
    # Several values of a filter are bound as one list: ids, texts, and the items' columns.
    assert listed(Ids=f"{regular['id']},{disposed['id']},999999") == [disposed["id"], regular["id"]]
    assert listed(FulfillmentCenterIds="2,999") == [loose_one["id"]]
    assert listed(TrackingNumbers="TRK-2,NOT-THERE") == [loose_one["id"]]
    assert listed(InventoryIds="1002,999999") == [disposed["id"], regular["id"]]
    assert listed(ReturnActions="Quarantine") == [regular["id"]]
    assert listed(ReturnActions="Dispose,Quarantine") == [disposed["id"], regular["id"]]
    assert listed(ReferenceIds="F-2,F-3", Status="Arrived,Processing") == [loose_one["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"Status": "Lost"}, "Status"),
        ({"Ids": "abc"}, "Ids"),
        ({"StartDate": "yesterday"}, "StartDate"),
        ({"SortOrder": "Sideways"}, "SortOrder"),
        ({"Limit": 0}, "Limit"),
        ({"Limit": 251}, "Limit"),
        ({"Cursor": "garbage!"}, "Cursor"),
        ({"ReturnActions": "Recycle"}, "ReturnActions"),
    ],
)
def test_bad_list_queries_are_400(
    client: TestClient, demo: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    response = client.get(URL, params=params, headers=merchant_headers(demo))
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_keyset_pages_walk_forward_and_back(client: TestClient, demo: dict[str, Any]) -> None:
    headers = merchant_headers(demo)
    made = [create(client, demo, f"P-{n}", **loose(f"P-{n}"))["id"] for n in range(7)]
    newest_first = list(reversed(made))

    first = client.get(URL, params={"Limit": 3}, headers=headers).json()
    assert ids(first) == newest_first[:3] and first["prev"] is None
    second = client.get(first["next"], headers=headers).json()
    assert ids(second) == newest_first[3:6]
    third = client.get(second["next"], headers=headers).json()
    assert ids(third) == newest_first[6:] and third["next"] is None
    back = client.get(third["prev"], headers=headers).json()
    assert ids(back) == newest_first[3:6]
    last = client.get(first["last"], headers=headers).json()
    assert ids(last) == newest_first[-3:] and last["next"] is None
    assert ids(client.get(last["first"], headers=headers).json()) == newest_first[:3]
    assert "Limit=3" in second["next"]  # links keep the caller's filters and limit


def test_channels_and_fulfillment_centers_are_discoverable(client: TestClient, demo: dict[str, Any]) -> None:
    headers = auth(demo["readonly_token"])
    channels = client.get("/2025-07/channel", headers=headers).json()
    assert [c["id"] for c in channels["items"]] == [demo["channel_id"]]
    assert channels["items"][0]["scopes"] == ["returns_read"]
    centers = client.get("/2025-07/fulfillment-center", headers=headers).json()
    assert {(c["id"], c["country"]) for c in centers} == {
        (fc["id"], fc["country"]) for fc in demo["fulfillment_centers"]
    }
    assert client.get("/2025-07/channel").status_code == 401
