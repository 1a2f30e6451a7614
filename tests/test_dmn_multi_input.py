"""Gap and overlap checks of DMN tables with several inputs, as a process owner meets them when publishing:
for each region a rule names, every amount must be matched (rules with a wildcard region count for every
region); two rules that can both match one input (on every column) are reported once."""
from app.services.modelling.model_rules import rule_problems


def _table(*rules, policy="UNIQUE"):
    body = "".join(
        f'<rule id="r{i}"><inputEntry><text>{region}</text></inputEntry><inputEntry><text>{amount}</text>'
        f'</inputEntry><outputEntry><text>"{i}"</text></outputEntry></rule>' for i, (region, amount) in enumerate(rules, 1))
    return {"d.dmn": (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="x" name="x" namespace="n">'
        f'<decision id="limit" name="Limit"><decisionTable hitPolicy="{policy}">'
        '<input label="Region"><inputExpression><text>region</text></inputExpression></input>'
        '<input label="Amount"><inputExpression><text>amount</text></inputExpression></input>'
        f'<output name="who"/>{body}</decisionTable></decision></definitions>').encode()}


def _messages(dmn):
    return [p.message for p in rule_problems({}, dmn)]


def test_complete_multi_input_table_passes():
    assert _messages(_table(('"domestic"', "&lt;= 1000"), ('"domestic"', "&gt; 1000"), ('"overseas"', "-"))) == []


def test_gap_for_one_region_is_reported_naming_the_region():
    assert _messages(_table(('"domestic"', "&lt;= 1000"), ('"domestic"', "&gt; 2000"), ('"overseas"', "-"))) == [
        'Decision limit: no rule matches Amount (1000, 2000] ("domestic").']
    # a rule for every region fills the gap
    assert _messages(_table(('"domestic"', "&lt;= 1000"), ('"domestic"', "&gt; 2000"),
                            ("-", "1000 &lt; ? &lt;= 2000"), policy="FIRST")) == []


def test_overlap_across_a_wildcard_is_reported_once():
    assert _messages(_table(('"domestic"', "&lt;= 1000"), ('"domestic"', "&gt; 1000"), ("-", "[500..600]"))) == [
        "Decision limit: rules r1, r3 both match Amount [500, 600]."]
    # different regions never overlap; with FIRST the order decides
    assert _messages(_table(('"domestic"', "-"), ('"overseas"', "-"))) == []
    assert _messages(_table(('"domestic"', "-"), ("-", "-"), policy="FIRST")) == []
