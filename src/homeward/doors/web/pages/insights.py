"""Pages: insights on the merchant's returns for a period, with server-drawn bar charts.

The numbers are insights.service's; the period rules insights.domain's; this page only draws.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from homeward.auth.domain import Principal
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.web import forms
from homeward.doors.web.charts import Bar, bar_chart
from homeward.doors.web.deps import merchant
from homeward.doors.web.templating import page
from homeward.insights import domain
from homeward.insights import service as insights
from homeward.kit.clock import utcnow
from homeward.kit.errors import InvalidInput

router = APIRouter()


@router.get("/insights")
async def insights_page(
    request: Request, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> Response:
    query = request.query_params
    typed = {name: query.get(name, "").replace("\x00", "")[:40] for name in ("from", "to", "days")}
    today = utcnow().date()
    try:
        period = domain.period(typed["from"], typed["to"], typed["days"], today)
    except InvalidInput as exc:
        return page(
            request,
            "insights/insights.html",
            status_code=400,
            errors=forms.FormErrors.of(exc),
            typed=typed,
            presets=domain.PRESETS,
            data=None,
        )
    data = await run_in_threadpool(insights.insights, db, principal, period)
    typed = {"from": period.start.isoformat(), "to": period.end.isoformat(), "days": str(period.preset or "")}
    return page(
        request,
        "insights/insights.html",
        errors=None,
        typed=typed,
        presets=domain.PRESETS,
        data=data,
        charts=_charts(data) if data.returns else None,
    )


def _charts(data: insights.Insights) -> dict[str, object]:
    d = data.disposition
    tones = (
        ("Restocked", d.restocked, "ok"),
        ("Quarantined", d.quarantined, "warn"),
        ("Disposed", d.disposed, "danger"),
    )
    mix = [Bar(label, value, tone, _share(value, d.total)) for label, value, tone in tones]
    if d.short:
        mix.append(Bar("Never arrived (short)", d.short, "muted", f"{d.short}"))
    return {
        "reasons": bar_chart(
            [Bar(r.label, r.returns) for r in data.by_reason],
            title="Returns per reason",
            desc="; ".join(f"{r.label}: {r.returns}" for r in data.by_reason),
        ),
        "skus": bar_chart(
            [Bar(f"{s.sku} · {s.name}", s.units) for s in data.top_skus],
            title="Units returned per SKU",
            desc="; ".join(f"{s.sku}: {s.units} units" for s in data.top_skus),
        ),
        "mix": bar_chart(
            mix,
            title="Disposition of returned units",
            desc="; ".join(f"{b.label}: {b.value:g} units" for b in mix),
        ),
    }


def _share(value: int, total: int) -> str:
    return f"{value} ({value * 100 / total:.0f}%)" if total else f"{value}"
