"""Every benchmark in turn: `make bench` (full size) or `make bench QUICK=1` (each under a minute).
Figures are printed and written to bench/results/<name>.json."""
import argparse
import sys
import time
import traceback

from . import common, dos, engine_throughput, history_growth, http_load, inbox_scale, memory, page_times, user_import

BENCHMARKS = (engine_throughput, history_growth, inbox_scale, page_times, http_load, memory, dos, user_import)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all")
    parser.add_argument("--quick", action="store_true", help="reduced sizes (each under a minute)")
    parser.add_argument("--only", nargs="*", help="names of the benchmarks to run")
    args = parser.parse_args(argv)
    size = "quick" if args.quick else "full"
    failed = []
    print(f"machine: {common.machine()}")
    for module in BENCHMARKS:
        if args.only and module.NAME not in args.only:
            continue
        print(f"\n== {module.NAME} ({size})", flush=True)
        began = time.perf_counter()
        try:
            print(module.describe(module.run(size)))
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(module.NAME)
        print(f"({time.perf_counter() - began:.0f} s)", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
