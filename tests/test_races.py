"""Two clients acting on the same task at the same moment through gunicorn (several workers) on PostgreSQL:
exactly one wins, the other gets 409, nothing is done twice and no lock version is skipped. The short run of
`python -m bench.races` (which makes 1,000 rounds of each kind)."""
from bench import common, races
from conftest import unavailable

ROUNDS = 10  # of each of the three kinds


def test_concurrent_complete_claim_and_reassign_have_exactly_one_winner():
    if not common.postgres_available():
        unavailable("the race tests", f"PostgreSQL not reachable at {common.PG_ADMIN_URL}; race tests skipped")
    result = races.run(ROUNDS, workers=3, write=False)
    for kind, figures in result["kinds"].items():
        assert figures["one_winner_one_409"] == ROUNDS, (kind, figures["unexpected"])
        assert figures["version_skips_or_repeats"] == 0, kind
        assert figures["follow_up_failures"] == 0, kind
        assert figures["loser_messages"], kind  # the loser is told why
    assert result["audit"] == {"tasks_completed_twice": [], "completed_by_someone_else": [],
                               "raced_tasks_not_completed_once": []}
    assert result["all_held"]
