"""The printed label read back as a person and a scanner would: text, page size, Code 128 barcodes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from homeward.labels.domain import Address
from homeward.labels.pdf import LabelContent, render_label
from tests.labels.scenarios import barcodes, pdf_page_inches, pdf_text

CUSTOMER = Address("Jordan Lee", "410 W Adams St", "Apt 3", "Chicago", "IL", "60606", "US")
CENTER = Address("Cicero (IL)", "5900 W Ogden Ave", "", "Cicero", "IL", "60804", "US")


def label(reference_id: str, tracking: str = "1ZHW0R370300000128", **changes: object) -> LabelContent:
    content = LabelContent(
        reference_id=reference_id,
        tracking_number=tracking,
        carrier_name="UPS",
        service_name="UPS Ground",
        origin=CUSTOMER,
        destination=CENTER,
        weight_kg=Decimal("0.850"),
        zone="2",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    return LabelContent(**{**content.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "reference_id",
    ["RMA-0001", "12345678", "ShipBob_Return_123", "R" * 46, "RMA 2026/11 #7 (A+B)"],
)
def test_rma_and_tracking_survive_print_and_scan(reference_id: str) -> None:
    pdf = render_label(label(reference_id))

    assert pdf_page_inches(pdf) == pytest.approx((4.0, 6.0))
    text = pdf_text(pdf)
    assert reference_id in text and "1ZHW0R370300000128" in text
    assert barcodes(pdf) == {reference_id: "Code128", "1ZHW0R370300000128": "Code128"}


def test_both_addresses_carrier_and_service_are_printed() -> None:
    text = pdf_text(render_label(label("RMA-0001")))
    for expected in (
        "FROM",
        "Jordan Lee",
        "Apt 3",
        "Chicago, IL 60606",
        "SHIP TO",
        "Cicero (IL)",
        "UPS Ground",
    ):
        assert expected in text, expected


def test_long_names_are_cut_to_the_label_not_off_it() -> None:
    long_name = "Maximilian Alexander Bartholomew Fitzgerald-Worthington the Third of Greater Manchester"
    pdf = render_label(
        label("RMA-0001", origin=Address(long_name, "1 Main St", "", "Chicago", "IL", "60606", "US"))
    )
    text = pdf_text(pdf)
    assert "Maximilian Alexander" in text and long_name not in text
