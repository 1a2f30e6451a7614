"""The server killed with SIGKILL under load loses nothing acknowledged and leaves every case loadable, its
task table and timer table in step with its workflow, and every timer fired exactly once. The short run of
`python -m bench.crash` (which kills the server 20 times)."""
from bench import common, crash
from conftest import unavailable


def test_sigkill_under_load_loses_nothing_acknowledged():
    if not common.postgres_available():
        unavailable("the crash test", f"PostgreSQL not reachable at {common.PG_ADMIN_URL}; crash test skipped")
    result = crash.run(3, seed=20260601, write=False, load_seconds=(1.0, 3.0))
    assert result["instances"] > 0 and result["acknowledged_completions"] > 0
    assert sum(result["timers"].values()) > 0
    for problem in crash.PROBLEMS:
        assert result[problem] == [], (problem, result[problem])
    assert result["all_held"]
