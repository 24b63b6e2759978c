"""Pages: the merchant's returns (being built)."""

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from homeward.doors.web.deps import merchant_user
from homeward.doors.web.templating import page
from homeward.users.domain import WebUser

router = APIRouter()


@router.get("/returns")
async def returns_list(request: Request, user: WebUser = Depends(merchant_user)) -> Response:
    return page(request, "placeholder.html", title="Returns")
