"""The printed label: a 4 x 6 in PDF with both addresses, carrier and service, the tracking number
as a Code 128 barcode, and the RMA in large type and as a barcode (seed 000: RMA and tracking must
be on the packaging or the return may be disposed of)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from homeward.labels.domain import Address

PAGE = (4 * inch, 6 * inch)
MARGIN = 0.15 * inch
# Wider modules scan more reliably; a long RMA gets the widest that still fits the label.
MAX_MODULE = 0.02 * inch


@dataclass(frozen=True)
class LabelContent:
    reference_id: str
    tracking_number: str
    carrier_name: str
    service_name: str
    origin: Address
    destination: Address
    weight_kg: Decimal
    zone: str | None
    created_at: datetime


def render_label(label: LabelContent) -> bytes:
    buffer = io.BytesIO()
    width, height = PAGE
    pdf = Canvas(buffer, pagesize=PAGE, pageCompression=1, invariant=1)
    pdf.setTitle(f"Return label {label.reference_id}")
    pdf.setAuthor("Homeward")
    inner = width - 2 * MARGIN
    y = height - MARGIN

    # Carrier and service banner.
    pdf.setFont("Helvetica-Bold", 16)
    y -= 16
    banner = label.service_name
    if not banner.lower().startswith(label.carrier_name.lower()):
        banner = f"{label.carrier_name} {banner}"
    pdf.drawString(MARGIN, y, _fit(banner, "Helvetica-Bold", 16, inner))
    pdf.setFont("Helvetica", 7)
    y -= 10
    facts = f"RETURN  |  {label.weight_kg.normalize():f} kg  |  zone {label.zone or '-'}  |  "
    pdf.drawString(MARGIN, y, facts + label.created_at.strftime("%Y-%m-%d"))
    y -= 5
    pdf.line(MARGIN, y, width - MARGIN, y)

    # From (the customer) and to (the fulfillment center).
    y = _address(pdf, "FROM", label.origin, MARGIN, y - 10, 8)
    y = _address(pdf, "SHIP TO", label.destination, MARGIN, y - 16, 11, bold=True)
    y -= 4
    pdf.line(MARGIN, y, width - MARGIN, y)

    # Tracking barcode.
    pdf.setFont("Helvetica-Bold", 8)
    y -= 10
    pdf.drawString(MARGIN, y, "TRACKING #")
    y = _barcode(pdf, label.tracking_number, y - 4, 0.85 * inch, inner)
    pdf.setFont("Helvetica-Bold", 11)
    y -= 12
    pdf.drawCentredString(width / 2, y, label.tracking_number)
    y -= 6
    pdf.line(MARGIN, y, width - MARGIN, y)

    # RMA: large type and barcode, so the warehouse can identify the box without the tracking number.
    pdf.setFont("Helvetica-Bold", 8)
    y -= 10
    pdf.drawString(MARGIN, y, "RMA / REFERENCE ID")
    size = 26.0
    while size > 8 and stringWidth(label.reference_id, "Helvetica-Bold", size) > inner:
        size -= 1
    pdf.setFont("Helvetica-Bold", size)
    y -= size + 2
    pdf.drawCentredString(width / 2, y, label.reference_id)
    y = _barcode(pdf, label.reference_id, y - 6, 0.8 * inch, inner)
    pdf.setFont("Helvetica", 7)
    pdf.drawCentredString(width / 2, max(y - 14, MARGIN), "Attach to the outside of the package.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _address(
    pdf: Canvas, title: str, address: Address, x: float, y: float, size: int, bold: bool = False
) -> float:
    pdf.setFont("Helvetica-Bold", 7)
    pdf.drawString(x, y, title)
    font = "Helvetica-Bold" if bold else "Helvetica"
    pdf.setFont(font, size)
    for line in address.lines():
        y -= size + 2
        pdf.drawString(x + 8, y, _fit(line, font, size, PAGE[0] - 2 * MARGIN - 8))
    return y


def _barcode(pdf: Canvas, value: str, top: float, bar_height: float, room: float) -> float:
    """Code 128 with the widest module that fits, centred; returns the y below it."""
    probe = Code128(value, barWidth=1, humanReadable=False, quiet=True)
    module = min(MAX_MODULE, room / probe.width)
    code = Code128(value, barWidth=module, barHeight=bar_height, humanReadable=False, quiet=True)
    code.drawOn(pdf, (PAGE[0] - code.width) / 2, top - bar_height)
    return top - bar_height


def _fit(text: str, font: str, size: float, room: float) -> str:
    """Cut text that would run off the label (names and streets can be long)."""
    while text and stringWidth(text, font, size) > room:
        text = text[:-1]
    return text
