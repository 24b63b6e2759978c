"""Pages: receiving at the warehouse (being built)."""

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from homeward.doors.web.deps import warehouse_user
from homeward.doors.web.templating import page
from homeward.users.domain import WebUser

router = APIRouter()


@router.get("/receive")
async def receive_form(request: Request, user: WebUser = Depends(warehouse_user)) -> Response:
    return page(request, "placeholder.html", title="Receive")
