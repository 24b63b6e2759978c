"""Read the caller's channels (clients discover their shipbob_channel_id here)."""

from dataclasses import dataclass

from sqlalchemy import select

from homeward.auth.domain import Principal
from homeward.db import Database
from homeward.tenants.models import Channel


@dataclass(frozen=True)
class ChannelRecord:
    id: int
    name: str
    application_name: str
    scopes: tuple[str, ...]


def list_channels(
    db: Database, principal: Principal, *, after_id: int | None = None, limit: int = 250
) -> list[ChannelRecord]:
    with db.read() as session:
        query = select(Channel).where(Channel.merchant_id == principal.merchant_id).order_by(Channel.id)
        if after_id is not None:
            query = query.where(Channel.id > after_id)
        scopes = tuple(sorted(principal.scopes))
        return [
            ChannelRecord(c.id, c.name, c.application_name, scopes)
            for c in session.scalars(query.limit(limit))
        ]
