"""The soak's users (locust): merchants creating, listing and reading returns, a warehouse
scanning and inspecting them, an OMS creating (and cancelling) returns. Run by bench/soak.py,
which passes the demo's tokens in SOAK_* variables and reads SOAK_OUT afterwards.

Every answer is counted by (operation, status); only a 5xx or a broken connection is a failure
(a 4xx is a rule doing its job, e.g. inspecting a return that another user completed first).
Each 201 of a create is written down with the id and reference it answered, so the runner can
check afterwards that every acknowledged return is stored, whole, exactly once.
"""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from collections import Counter
from typing import Any

from locust import HttpUser, between, events, task

TOKEN = os.environ.get("SOAK_TOKEN", "")
SCANNER = os.environ.get("SOAK_SCANNER", "")
CHANNEL = os.environ.get("SOAK_CHANNEL", "11")
ORDER_ITEM = int(os.environ.get("SOAK_ORDER_ITEM", "0"))
OUT = os.environ.get("SOAK_OUT", "")

statuses: Counter[str] = Counter()
created: list[dict[str, Any]] = []  # every 201: id, reference, items
arrived: list[int] = []
lock = threading.Lock()


class Merchant(HttpUser):
    wait_time = between(0.0, 0.2)

    def on_start(self) -> None:
        self.merchant = {"Authorization": f"Bearer {TOKEN}", "shipbob_channel_id": CHANNEL}
        self.scanner = {"Authorization": f"Bearer {SCANNER}"}

    def _send(self, name: str, method: str, path: str, **kwargs: Any) -> Any:
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            status = response.status_code
            with lock:
                statuses[f"{name} {status}"] += 1
            if status == 0 or status >= 500:
                response.failure(f"{status}: {response.text[:200]}")
            else:
                response.success()
            return response

    @task(4)
    def create(self) -> None:
        reference = f"SOAK-{uuid.uuid4().hex[:16]}"
        body = {
            "fulfillment_center": {"id": 1},
            "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
            "reference_id": reference,
        }
        response = self._send("create", "POST", "/2025-07/return", json=body, headers=self.merchant)
        if response.status_code == 201:
            with lock:
                created.append({"id": response.json()["id"], "reference_id": reference, "units": 1})

    @task(3)
    def list_page(self) -> None:
        status = random.choice(["Awaiting Arrival", "Arrived", "Processing", "Completed"])
        self._send(
            "list", "GET", "/2025-07/return", params={"Status": status, "Limit": 20}, headers=self.merchant
        )

    @task(3)
    def get(self) -> None:
        if created:
            return_id = random.choice(created)["id"]
            self._send("get", "GET", f"/2025-07/return/{return_id}", headers=self.merchant)

    @task(2)
    def arrive(self) -> None:
        if created:
            chosen = random.choice(created)
            body = {"barcode": chosen["reference_id"]}
            response = self._send(
                "arrival", "POST", "/warehouse/v1/arrivals", json=body, headers=self.scanner
            )
            if response.status_code in (200, 201):
                with lock:
                    arrived.append(chosen["id"])

    @task(2)
    def inspect(self) -> None:
        if arrived:
            return_id = random.choice(arrived)
            body = {"items": [{"inventory_id": 1001, "quantity": 1}]}
            path = f"/warehouse/v1/returns/{return_id}/inspections"
            self._send("inspection", "POST", path, json=body, headers=self.scanner)

    @task(1)
    def oms_create_and_cancel(self) -> None:
        """An OMS return of one unit of the demo's regular shipment, cancelled again at once so
        the shipment's units are free for the next one (a 400 when another holds them)."""
        body = {"item": [{"orderItemID": ORDER_ITEM, "quantity": 1, "reason": "Item did not fit."}]}
        response = self._send("oms create", "POST", "/oms/v1/returns", json=body, headers=self.merchant)
        if response.status_code == 201:
            return_id = response.json()["returnID"]
            self._send("cancel", "POST", f"/2025-07/return/{return_id}:cancel", headers=self.merchant)


@events.quitting.add_listener
def _write_out(**_: Any) -> None:
    if OUT:
        with open(OUT, "w", encoding="utf-8") as out:
            json.dump({"statuses": dict(statuses), "created": created}, out)
