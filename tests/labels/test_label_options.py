"""What the create-return form is told about labels before the return exists (label_options,
check_label) is what creating the return with that label then does: same refusals, same fallback,
same cheapest service."""

from __future__ import annotations

from dataclasses import replace

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.kit.errors import RuleViolation
from homeward.labels import service as labels
from homeward.labels.domain import LabelRequest, LabelType
from homeward.returns import drafts
from homeward.returns.domain import RequestedAction

MERCHANT = Principal(token_id=0, merchant_id=1, scopes=Scope.merchant_defaults())
CHANNEL = 11
LABELS = (
    LabelRequest(LabelType.OPTIMIZED),
    LabelRequest(LabelType.CARRIER_SPECIFIC, "ups", "ground"),
    LabelRequest(LabelType.CARRIER_SPECIFIC, "FedEx", "Ground"),
    LabelRequest(LabelType.CARRIER_SPECIFIC, "UPS", "Standard"),
    LabelRequest(LabelType.CARRIER_SPECIFIC, "DHL", "Express"),
)


def test_drafted_labels_are_judged_as_creating_them(db: Database, cases: dict[str, int]) -> None:
    shipments = {**cases, "hazmat": 7002, "regular": 7001}
    attempt = 0
    for case, shipment_id in shipments.items():
        source = drafts.source(db, MERCHANT, shipment_id)
        request = source.request(
            [(i.inventory_id, i.returnable, RequestedAction.DEFAULT) for i in source.items]
        )
        for destination in (1, 3):  # the shipment's country, and Canada
            drafted = replace(request, fulfillment_center_id=destination)
            options = labels.label_options(db, MERCHANT, replace(drafted, reference_id="CHECK0001"))
            for label in LABELS:
                attempt += 1
                reference = f"OPTIONS{attempt:04d}"
                told = labels.check_label(db, MERCHANT, replace(drafted, reference_id=reference), label)
                try:
                    made = labels.create_return(
                        db, MERCHANT, CHANNEL, replace(drafted, reference_id=reference), label
                    )
                except RuleViolation as exc:
                    assert told == exc.errors, (case, destination, label)
                    assert told  # a refusal the form did not announce would be a surprise at Submit
                    continue
                assert told == [], (case, destination, label)
                assert made.label is not None
                assert made.label.fallback_reason == options.fallback_reason, (case, destination)
                if label.type is LabelType.OPTIMIZED and options.fallback_reason is None:
                    assert options.cheapest is not None
                    assert (made.label.carrier, made.label.service) == (
                        options.cheapest.carrier,
                        options.cheapest.service,
                    )
                    assert made.label.cost == options.cheapest.amount
                labels.cancel_return(db, MERCHANT, CHANNEL, made.record.id)  # the units are free again
            # A purchased type the form says cannot be bought is refused by every purchased label.
            if not options.purchasable:
                for label in LABELS[:3]:
                    assert labels.check_label(
                        db, MERCHANT, replace(drafted, reference_id="CHECK0002"), label
                    ), case


def test_label_options_name_the_reasons(db: Database, cases: dict[str, int]) -> None:
    def options(shipment_id: int, destination: int = 1) -> labels.LabelOptions:
        source = drafts.source(db, MERCHANT, shipment_id)
        request = source.request(
            [(i.inventory_id, i.returnable, RequestedAction.DEFAULT) for i in source.items],
            fulfillment_center_id=destination,
            reference_id="CHECK0001",
        )
        return labels.label_options(db, MERCHANT, request)

    hazmat = options(7002)
    assert not hazmat.purchasable and "DG/hazmat" in hazmat.refusals[0].message
    abroad = options(7001, destination=3)
    assert [e.field for e in abroad.refusals] == ["fulfillment_center.id"]
    assert all(q.refusal for q in abroad.quotes)  # no service carries from the US to Canada
    po_box = options(cases["po_box"])
    assert po_box.purchasable and po_box.fallback_reason is not None and "P.O. box" in po_box.fallback_reason
    heavy = options(cases["heavy"])
    usable = [q for q in heavy.quotes if q.refusal is None]
    assert [(q.carrier, q.service) for q in usable] == [("FedEx", "Ground")]
    assert heavy.cheapest is not None and heavy.cheapest.name == "FedEx Ground"
    too_heavy = options(cases["too_heavy"])
    assert not too_heavy.purchasable and "68 kg" in too_heavy.refusals[0].message
    regular = options(7001)
    assert regular.purchasable and regular.cheapest is not None
    assert regular.cheapest.amount == min(
        q.amount for q in regular.quotes if q.amount is not None and not q.refusal
    )
