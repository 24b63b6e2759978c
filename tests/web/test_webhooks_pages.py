"""Settings → Webhooks: the same subscriptions as /2025-07/webhook, managed from the web app."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.web.session_http import post_form, sign_in


def test_add_shows_the_secret_once_then_lists_and_removes(
    client: TestClient, demo: dict[str, Any], allow_private: None
) -> None:
    sign_in(client, demo["web_users"]["merchant"])
    answer = post_form(
        client,
        "/settings/webhooks",
        {"url": "http://127.0.0.1:9/hooks", "topics": ["return.completed"], "description": "ERP"},
    )
    assert answer.status_code == 200
    secret = re.search(r'id="secret" type="text" readonly value="(whsec_[^"]+)"', answer.text)
    assert secret, answer.text
    listed = client.get("/2025-07/webhook", headers={"Authorization": f"Bearer {demo['token']}"}).json()
    assert [(s["url"], s["topics"]) for s in listed] == [("http://127.0.0.1:9/hooks", ["return.completed"])]
    page = client.get("/settings/webhooks").text
    assert "http://127.0.0.1:9/hooks" in page and secret.group(1) not in page  # shown once only
    log = client.get(f"/settings/webhooks/{listed[0]['id']}")
    assert log.status_code == 200 and "Nothing sent yet." in log.text
    removed = post_form(client, f"/settings/webhooks/{listed[0]['id']}/remove", {}, page="/settings/webhooks")
    assert removed.status_code == 303
    assert client.get("/2025-07/webhook", headers={"Authorization": f"Bearer {demo['token']}"}).json() == []


def test_a_refused_url_is_explained_beside_the_field_and_kept(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["web_users"]["merchant"])
    answer = post_form(client, "/settings/webhooks", {"url": "ftp://example.com/x", "description": "kept"})
    assert answer.status_code == 422
    assert 'class="field-errors" id="url-errors"' in answer.text
    assert 'value="ftp://example.com/x"' in answer.text and 'value="kept"' in answer.text
    assert client.get("/2025-07/webhook", headers={"Authorization": f"Bearer {demo['token']}"}).json() == []


def test_another_merchants_webhook_is_not_found(
    client: TestClient, demo: dict[str, Any], allow_private: None
) -> None:
    made = client.post(
        "/2025-07/webhook",
        json={"url": "http://127.0.0.1:9/other"},
        headers={"Authorization": f"Bearer {demo['other_token']}"},
    )
    assert made.status_code == 201, made.text
    sign_in(client, demo["web_users"]["merchant"])
    assert client.get(f"/settings/webhooks/{made.json()['id']}").status_code == 404
    answer = post_form(
        client, f"/settings/webhooks/{made.json()['id']}/remove", {}, page="/settings/webhooks"
    )
    assert answer.status_code == 404
