"""The ShipBob-compatible Returns API, 2025-07 and 1.0: thin handlers over returns.service.

The five single-return operations are the same in both dialects but for paths and shapes, so
one factory builds them; listing and discovery differ and are written out per dialect.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from homeward.auth.domain import Principal, Scope
from homeward.catalog.service import list_fulfillment_centers
from homeward.db import Database
from homeward.doors.http.body_limit import MAX_JSON_BODY
from homeward.doors.http.deps import Access, access, channel_id_header
from homeward.doors.http.errors import register_dialect
from homeward.doors.shipbob import mapping, schemas
from homeward.doors.shipbob.listing import OPENAPI_PARAMETERS, return_filter
from homeward.kit.pagination import FIRST, LAST, Cursor
from homeward.kit.text import INT32_MAX
from homeward.labels import service as labels
from homeward.labels.records import LabelledReturn, LabelRecord
from homeward.returns import service
from homeward.returns.domain import ReturnRequest
from homeward.returns.listing import ReturnFilter
from homeward.returns.records import ReturnRecord
from homeward.tenants.service import ChannelRecord, list_channels

register_dialect("/2025-07/", mapping.api_error)
register_dialect("/1.0/", mapping.problem_error)

ReturnId = Path(ge=0, le=INT32_MAX, description="Id of the return order")
MAX_LIMIT = 250


def _errors(rule_model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {
        400: {"model": schemas.ProblemDetails, "description": "Malformed request or schema error"},
        401: {"model": schemas.SimpleError, "description": "Authorization missing or invalid"},
        403: {"model": schemas.SimpleError, "description": "Token lacks the scope, or channel not yours"},
        404: {"model": schemas.ProblemDetails, "description": "No such return for this merchant"},
        422: {"model": rule_model, "description": "A business rule was broken"},
    }


def _json(
    model: BaseModel | list[Any] | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    content: str | bytes
    if isinstance(model, dict) or (isinstance(model, list) and model and isinstance(model[0], dict)):
        # Plain data already in the response model's shape. orjson writes the same bytes as
        # pydantic would (UTC as `Z`), in a quarter of the time a page of fifty returns took.
        content = orjson.dumps(model, option=orjson.OPT_UTC_Z)
    elif isinstance(model, list):
        content = "[" + ",".join(m.model_dump_json() for m in model) + "]"
    else:
        content = model.model_dump_json()
    return Response(content=content, status_code=status, media_type="application/json", headers=headers)


# Handlers are `async def` and hand their use case, authentication included, to Access: on
# SQLite a read runs right on the event loop, anything else on one thread (doors/http/deps.py).


Created = ReturnRecord | Exception  # per request of a batch: its return, or its refusal


def _single_return_routes(
    router: APIRouter,
    prefix: str,
    body_model: type[schemas.CreateReturnRequest],
    render: Callable[[ReturnRecord, LabelRecord | None], BaseModel | dict[str, Any]],
    response_model: type[BaseModel],
    cancel_path: str,
    create_model: type[schemas.CreateReturnRequest] | None = None,
) -> None:
    errors = _errors(schemas.ApiError if prefix == "/2025-07" else schemas.ProblemDetails)
    reader = access(Scope.RETURNS_READ)
    writer = access(Scope.RETURNS_WRITE)
    body_writer = access(Scope.RETURNS_WRITE, before_body=True)  # 401/403 before a 400 on the body
    create_model = create_model or body_model

    @router.post(
        f"{prefix}/return",
        status_code=201,
        max_body_size=MAX_JSON_BODY,
        response_model=response_model,
        responses=errors,
        summary="Create Return Order",
    )
    async def create(
        body: create_model = Body(),  # type: ignore[valid-type]
        caller: Access = Depends(body_writer),
        channel_id: int | None = Depends(channel_id_header),
    ) -> Response:
        label = mapping.to_label_request(getattr(body, "label", None))
        if label is None:  # the usual create: with the caller's others that arrive meanwhile

            def create_many(principal: Principal, requests: list[ReturnRequest]) -> list[Created]:
                outcomes = service.create_returns(caller.db, principal, channel_id, requests)
                return [outcome.error or outcome.unwrap() for outcome in outcomes]

            record = await caller.write_together(channel_id, mapping.to_request(body), create_many)
            return _json(render(record, None), 201)

        def create(principal: Principal) -> LabelledReturn:
            return labels.create_return(caller.db, principal, channel_id, mapping.to_request(body), label)

        created = await caller.write(create)
        return _json(render(created.record, created.label), 201)

    @router.get(
        f"{prefix}/return/{{id:int}}",
        response_model=response_model,
        responses=errors,
        summary="Get Return Order",
    )
    async def get(
        id: int = ReturnId,  # the path parameter is called id in the contract
        caller: Access = Depends(reader),
        channel_id: int | None = Depends(channel_id_header),
    ) -> Response:
        found = await caller.read(lambda principal: labels.get_return(caller.db, principal, channel_id, id))
        return _json(render(found.record, found.label))

    @router.put(
        f"{prefix}/return/{{id:int}}",
        response_model=response_model,
        responses=errors,
        summary="Modify Return Order (only while Awaiting Arrival)",
        max_body_size=MAX_JSON_BODY,
    )
    async def modify(
        body: body_model = Body(),  # type: ignore[valid-type]
        id: int = ReturnId,
        caller: Access = Depends(body_writer),
        channel_id: int | None = Depends(channel_id_header),
    ) -> Response:
        changed = await caller.write(
            lambda principal: labels.modify_return(
                caller.db, principal, channel_id, id, mapping.to_request(body)
            )
        )
        return _json(render(changed.record, changed.label))

    @router.post(
        f"{prefix}/return/{{id:int}}{cancel_path}",
        response_model=response_model,
        responses=errors,
        summary="Cancel Return Order (only while Awaiting Arrival)",
    )
    async def cancel(
        id: int = ReturnId,
        caller: Access = Depends(writer),
        channel_id: int | None = Depends(channel_id_header),
    ) -> Response:
        cancelled = await caller.write(
            lambda principal: labels.cancel_return(caller.db, principal, channel_id, id)
        )
        return _json(render(cancelled.record, cancelled.label))

    @router.get(
        f"{prefix}/return/{{id:int}}/statushistory",
        response_model=list[schemas.StatusHistoryDto],
        responses=errors,
        summary="Get a return's status history",
    )
    async def history(
        id: int = ReturnId,
        caller: Access = Depends(reader),
        channel_id: int | None = Depends(channel_id_header),
    ) -> Response:
        events = await caller.read(
            lambda principal: service.status_history(caller.db, principal, channel_id, id)
        )
        return _json(
            [schemas.StatusHistoryDto(status=e.status.value, time_stamp=e.occurred_at) for e in events]
        )


def _channel_dto(channel: ChannelRecord) -> schemas.ChannelViewDto:
    return schemas.ChannelViewDto(**vars(channel) | {"scopes": list(channel.scopes)})


def _fc_dtos(db: Database) -> list[dict[str, Any]]:
    """Plain data in FulfillmentCenterViewDto's shape (every field a str or int already)."""
    return [vars(fc) for fc in list_fulfillment_centers(db)]


def _page_links(request: Request) -> Callable[[Cursor | None], str | None]:
    """The link to a page of the list this request reads: its own query with the Cursor swapped.
    The query kept is encoded once, however many links a page gives."""
    path = request.url.path
    kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k.lower() != "cursor"])
    at = f"{path}?{kept}&" if kept else f"{path}?"

    def link(cursor: Cursor | None) -> str | None:
        if cursor is None:
            return None
        if cursor == FIRST:
            return f"{path}?{kept}" if kept else path
        return at + urlencode([("Cursor", cursor.encode())])

    return link


# --- 2025-07 ------------------------------------------------------------------------------------

v2025 = APIRouter(tags=["Returns 2025-07"])
_single_return_routes(
    v2025,
    "/2025-07",
    schemas.CreateReturnRequest,
    mapping.body_2025,
    schemas.PublicReturnV1Dto,
    ":cancel",
    create_model=schemas.CreateReturnWithLabel,
)


@v2025.get(
    "/2025-07/return",
    response_model=schemas.ReturnListPage,
    responses=_errors(schemas.ApiError),
    summary="Get Return Orders (cursor pages)",
    openapi_extra={"parameters": OPENAPI_PARAMETERS},
)
async def list_2025(
    request: Request,
    filters: ReturnFilter = Depends(return_filter),
    Cursor_: str | None = Query(None, alias="Cursor", description="From a previous page's next/prev/last"),
    Limit: int = Query(50, ge=1, le=MAX_LIMIT),
    caller: Access = Depends(access(Scope.RETURNS_READ)),
    channel_id: int | None = Depends(channel_id_header),
) -> Response:
    cursor = Cursor.decode(Cursor_)
    page = await caller.read(
        lambda principal: labels.list_returns(caller.db, principal, channel_id, filters, cursor, Limit)
    )
    link = _page_links(request)
    return _json(
        {  # schemas.ReturnListPage
            "items": [mapping.body_2025(r.record, r.label) for r in page.items],
            "first": link(FIRST),
            "last": link(LAST),
            "next": link(page.next),
            "prev": link(page.prev),
        }
    )


@v2025.get(
    "/2025-07/channel",
    response_model=schemas.ChannelPage,
    responses=_errors(schemas.ApiError),
    summary="Get Channels",
)
async def channels_2025(
    request: Request,
    Cursor_: str | None = Query(None, alias="Cursor"),
    RecordsPerPage: int = Query(50, ge=1, le=MAX_LIMIT),
    caller: Access = Depends(access(Scope.RETURNS_READ)),
) -> Response:
    cursor = Cursor.decode(Cursor_)
    rows = await caller.read(
        lambda principal: list_channels(caller.db, principal, after_id=cursor.key, limit=RecordsPerPage + 1)
    )
    more = len(rows) > RecordsPerPage
    rows = rows[:RecordsPerPage]
    return _json(
        schemas.ChannelPage(
            items=[_channel_dto(c) for c in rows],
            next=_page_links(request)(Cursor(key=rows[-1].id)) if more else None,
            prev=None,
        )
    )


@v2025.get(
    "/2025-07/fulfillment-center",
    response_model=list[schemas.FulfillmentCenterViewDto],
    responses=_errors(schemas.ApiError),
    summary="Get Fulfillment Centers",
)
async def fulfillment_centers_2025(caller: Access = Depends(access(Scope.RETURNS_READ))) -> Response:
    return _json(await caller.read(lambda _: _fc_dtos(caller.db)))


# --- 1.0 ----------------------------------------------------------------------------------------

v1 = APIRouter(tags=["Returns 1.0"])
_single_return_routes(v1, "/1.0", schemas.CreateReturnV1, mapping.to_1_0, schemas.ReturnOrderV1, "/cancel")


@v1.get(
    "/1.0/return",
    response_model=list[schemas.ReturnOrderV1],
    responses=_errors(schemas.ProblemDetails),
    summary="Get Return Orders (numbered pages)",
    openapi_extra={"parameters": OPENAPI_PARAMETERS},
)
async def list_1_0(
    filters: ReturnFilter = Depends(return_filter),
    Page: int = Query(1, ge=1, le=INT32_MAX),
    Limit: int = Query(50, ge=1, le=MAX_LIMIT),
    caller: Access = Depends(access(Scope.RETURNS_READ)),
    channel_id: int | None = Depends(channel_id_header),
) -> Response:
    records, total = await caller.read(
        lambda principal: service.list_returns_numbered(
            caller.db, principal, channel_id, filters, Page, Limit
        )
    )
    headers = {
        "Page-Number": str(Page),
        "Page-Size": str(Limit),
        "Total-Count": str(total),
        "Total-Pages": str((total + Limit - 1) // Limit),
    }
    return _json([mapping.to_1_0(r) for r in records], headers=headers)


@v1.get(
    "/1.0/channel",
    response_model=list[schemas.ChannelViewDto],
    responses=_errors(schemas.ProblemDetails),
    summary="Get Channels",
)
async def channels_1_0(caller: Access = Depends(access(Scope.RETURNS_READ))) -> Response:
    channels = await caller.read(lambda principal: list_channels(caller.db, principal))
    return _json([_channel_dto(c) for c in channels])


@v1.get(
    "/1.0/fulfillment-center",
    response_model=list[schemas.FulfillmentCenterViewDto],
    responses=_errors(schemas.ProblemDetails),
    summary="Get Fulfillment Centers",
)
@v1.get(
    "/1.0/fulfillmentCenter",
    response_model=list[schemas.FulfillmentCenterViewDto],
    responses=_errors(schemas.ProblemDetails),
    summary="Get Fulfillment Centers (ShipBob's spelling)",
)
async def fulfillment_centers_1_0(caller: Access = Depends(access(Scope.RETURNS_READ))) -> Response:
    return _json(await caller.read(lambda _: _fc_dtos(caller.db)))
