"""The business diagrams the engine benchmark walks besides the ten-step fixture: their published files and
what each department submits (the paths the scenario tests walk), keyed by element id. Elements not listed
get a small valid value from their form (bench.driver.fill)."""
import sys

from . import common

sys.path.insert(0, str(common.PROJECT_ROOT / "tests"))  # the scenario helpers import each other by name
from tests import repair_helpers  # noqa: E402
from tests.test_process_contract import DRAFT, OK, SIGN, START as CONTRACT_START  # noqa: E402

PROCESSES, FORMS = common.PROJECT_ROOT / "processes", common.PROJECT_ROOT / "forms"


def sources(bpmn: list[str], dmn: list[str], form_prefixes: tuple[str, ...]) -> list:
    files = [PROCESSES / name for name in [*bpmn, *dmn]]
    files += [PROCESSES / "i18n" / name.replace(".bpmn", ".en.json") for name in bpmn]
    files += [p for p in FORMS.glob("*.json") if p.name.startswith(form_prefixes)]
    return sorted(p for p in files if p.exists())


CONTRACT = {
    "sources": sources(["contract_review.bpmn", "contract_review_round.bpmn", "export_licence.bpmn",
                        "export_customs.bpmn"],
                       ["contract_reviewers.dmn", "signing_authority.dmn", "export_insurance.dmn",
                        "fx_writeoff_switch.dmn"], ("contract_", "export_")),
    "start": CONTRACT_START,
    "steps": {**{task: {"opinion": "无异议"} for task in ("consult_tech_rd", "consult_production", "consult_finance")},
              "draft": DRAFT,
              **{task: OK for task in ("review_production", "review_finance", "review_tech_rd", "review_marketing")},
              "sign_delegate": SIGN, "sign_legal": SIGN,
              "send": {"sent_date": "2026-04-09", "send_channel": "courier"},
              "countersign": {"countersigned_date": "2026-04-15", "countersigned_copy_ref": "A-1"},
              "schedule": {"schedule_order_no": "PC-1", "planned_start_date": "2026-04-20",
                           "planned_finish_date": "2026-05-20"},
              "perform": {"perform_event": "completed"}},
}

EXPORT = {
    "sources": sources(["export_licence.bpmn", "export_customs.bpmn"], ["export_insurance.dmn", "fx_writeoff_switch.dmn"],
                       ("export_",)),
    "start": None, "steps": {},
}

REPAIR = {
    "sources": sources(**{**repair_helpers.REPAIR_SOURCES,
                          "form_prefixes": tuple(repair_helpers.REPAIR_SOURCES["form_prefixes"])}),
    "start": repair_helpers.INTAKE,
    # one day's report that finishes the repair
    "steps": {**repair_helpers.DEFAULTS, "daily_report": {**repair_helpers.DEFAULTS["daily_report"],
                                                          "repair_finished": True}},
}

DIAGRAMS = {"contract": ("contract_review", CONTRACT), "export": ("export_licence", EXPORT),
            "repair": ("overseas_repair", REPAIR)}
