"""PROCESSES 2.7 (S1 art. 7(3)-(6)): the export licence must be valid on the customs declaration date and on
the shipment date. The gate before customs compares the expiry with the planned ETD; the declaration and the
shipment are refused when their own date is after the expiry, with a reason that names the failing date."""
import pytest

from app.services.errors import ValidationFailed
from tests.test_process_export import EXPORT, _insure, _to_customs, desk  # noqa: F401  (fixture)


def _declare(desk, iid, day):
    desk.do("sales", iid, "customs_declaration", {"customs_declaration_no": "2201-2026-0001",
                                                  "declaration_date": day})


def test_licence_expired_before_the_declaration_date_is_refused_naming_that_date(desk):
    iid = desk.start("export_licence", EXPORT)
    # the ETD on record (13 April) is older than the expiry (14 April): the gate lets the case through
    _to_customs(desk, iid, expiry="2026-04-14", etd="2026-04-13")
    desk.do("quality", iid, "customs_inspection", {"inspection_certificate_no": "CIQ-778",
                                                   "inspection_date": "2026-04-13"})
    with pytest.raises(ValidationFailed) as refused:
        _declare(desk, iid, "2026-04-15")  # the day after expiry
    assert "报关日期" in refused.value.message and "declaration date" in refused.value.message
    assert "shipment date" not in refused.value.message
    assert set(desk.open_tasks(iid)) == {"customs_declaration"}  # nothing was accepted
    assert "customs_declaration_no" not in desk.case(iid).case_data

    _declare(desk, iid, "2026-04-14")  # valid on the day itself
    _insure(desk, iid, cargo=True, credit=True)
    with pytest.raises(ValidationFailed) as refused:
        desk.do("sales", iid, "customs_shipment", {"bill_of_lading_no": "COSU-55", "ship_date": "2026-04-16"})
    assert "装船日期" in refused.value.message and "shipment date" in refused.value.message
    assert set(desk.open_tasks(iid)) == {"customs_shipment"}
    desk.do("sales", iid, "customs_shipment", {"bill_of_lading_no": "COSU-55", "ship_date": "2026-04-14"})
    assert set(desk.open_tasks(iid)) == {"collection"}
