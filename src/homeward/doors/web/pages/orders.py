"""Pages: the merchant's orders (search, detail with shipments and lines), where returns start."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from homeward.auth.domain import Principal
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.web.deps import merchant
from homeward.doors.web.templating import page
from homeward.kit.text import INT32_MAX
from homeward.orders import service as orders

router = APIRouter()

PAGE_SIZE = 25


@router.get("/orders")
async def order_list(
    request: Request,
    q: str = Query("", max_length=1000),
    page_number: int = Query(1, alias="page", ge=1, le=1_000_000),
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    text = q.replace("\x00", "").strip()
    found = await run_in_threadpool(orders.search_orders, db, principal, text, page_number, PAGE_SIZE)
    return page(request, "orders/list.html", title="Orders", q=text, found=found)


@router.get("/orders/{order_id}")
async def order_detail(
    request: Request,
    order_id: int = Path(ge=0, le=INT32_MAX),
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    order = await run_in_threadpool(orders.get_order, db, principal, order_id)
    return page(request, "orders/detail.html", order=order)
