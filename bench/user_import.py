"""Bulk user import: an HR xlsx of N staff (departments by Chinese name, a head per fifty, five refused
rows) read, checked (dry run) and applied in one transaction, then checked again (every row unchanged),
on SQLite and PostgreSQL. Target: 300 staff checked and applied in under 5 s each.

    python -m bench.user_import [--quick|--tiny]
"""
import io
import time

from openpyxl import Workbook

from app.services.cases import staff
from app.services.organisation import user_import

from . import common

NAME = "user_import"
SIZES = {"full": (300, 2000), "quick": (300,), "tiny": (50,)}
DEPARTMENTS = ["业务部", "品质部", "生产部", "PMC", "财务部", "成品仓", "技术部"]
TARGET_S = 5.0


def workbook(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["用户名", "姓名", "邮箱", "部门", "负责部门", "启用"])
    for n in range(1, rows + 1):
        department = DEPARTMENTS[n % len(DEPARTMENTS)]
        refused = n % (rows // 5) == 0  # five rows with an unknown department
        sheet.append([f"staff{n:05d}", f"员工{n}", f"staff{n:05d}@example.cn",
                      "不存在的部门" if refused else department, department if n % 50 == 0 else "", "是"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(backend: str, sizes) -> dict:
    figures = {"backend": backend, "sizes": {}}
    for rows in sizes:
        content = workbook(rows)
        with common.scratch_database(backend) as url:
            app = common.make_app(url, [])
            db = app.extensions["db"]
            with app.app_context():
                began = time.perf_counter()
                parsed = user_import.read("staff.xlsx", content)
                read_s = time.perf_counter() - began
                with db.session() as session:
                    began = time.perf_counter()
                    dry = user_import.plan(session, parsed)
                    dry_s = time.perf_counter() - began
                began = time.perf_counter()
                with db.session() as session:
                    applied = staff.apply_import(session, "bench", parsed)
                apply_s = time.perf_counter() - began
                with db.session() as session:
                    began = time.perf_counter()
                    again = user_import.plan(session, parsed)
                    again_s = time.perf_counter() - began
            db.dispose()
        figures["sizes"][rows] = {
            "read_s": round(read_s, 3), "dry_run_s": round(dry_s, 3), "apply_s": round(apply_s, 3),
            "recheck_s": round(again_s, 3), "created": applied.count("created"), "refused": dry.count("refused"),
            "unchanged_after": again.count("unchanged"),
            "target_met": dry_s <= TARGET_S and apply_s <= TARGET_S if rows <= 300 else None}
    return figures


def run(size: str = "full") -> dict:
    sizes = SIZES[size]
    return common.write_result(NAME, size, {"results": [measure(b, sizes) for b in common.backends()],
                                            "target": {"rows": 300, "seconds": TARGET_S}})


def describe(result: dict) -> str:
    lines = [f"{'backend':9} {'rows':>5} {'read s':>7} {'dry run s':>10} {'apply s':>8} {'recheck s':>10} "
             f"{'created':>8} {'refused':>8}  target"]
    for r in result["results"]:
        for rows, f in r["sizes"].items():
            verdict = "-" if f["target_met"] is None else ("met" if f["target_met"] else "MISSED")
            lines.append(f"{r['backend']:9} {rows:>5} {f['read_s']:>7.2f} {f['dry_run_s']:>10.2f} "
                         f"{f['apply_s']:>8.2f} {f['recheck_s']:>10.2f} {f['created']:>8} {f['refused']:>8}  {verdict}")
    return "\n".join(lines)


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()
