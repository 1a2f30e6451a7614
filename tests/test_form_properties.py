"""Property tests (hypothesis) of form validation, on every form of forms/:
- any JSON value either validates or is refused with ValidationFailed carrying per-field messages, never
  another exception;
- data built from a form's own schema always validates.
The generator below covers the JSON Schema subset the forms use (types, lengths, formats, bounds, enum,
const/oneOf, arrays, if/then); a form using anything else fails the coverage test, so it is extended."""
import json
import math
from datetime import timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app import create_app
from app.config import PROJECT_ROOT, Config
from app.services.errors import ValidationFailed
from app.services.modelling.forms import validate_data

FORMS = {p.name: json.loads(p.read_text("utf-8")) for p in sorted((PROJECT_ROOT / "forms").glob("*.json"))}
KNOWN = {"$schema", "title", "description", "type", "properties", "required", "additionalProperties", "minLength",
         "maxLength", "format", "pattern", "minimum", "maximum", "exclusiveMinimum", "enum", "const", "oneOf",
         "items", "minItems", "maxItems", "uniqueItems", "if", "then", "not", "x-currency", "x-person", "x-enumNames",
         "default", "allOf"}
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=20)


@pytest.fixture(scope="module", autouse=True)
def translations():
    """ValidationFailed messages are translated: an application context as in a request."""
    app = create_app(Config(DATABASE_URL="sqlite://", SECRET_KEY="props"))
    with app.test_request_context():
        yield


def _keywords(schema, found):
    if isinstance(schema, dict):
        found.update(schema)
        for key, value in schema.items():
            if key == "properties":
                for sub in value.values():
                    _keywords(sub, found)
            elif key in ("items", "if", "then", "not"):
                _keywords(value, found)
            elif key in ("oneOf", "allOf"):
                for sub in value:
                    _keywords(sub, found)
    return found


def test_the_generator_covers_every_keyword_the_forms_use():
    used = set()
    for schema in FORMS.values():
        _keywords(schema, used)
    assert used - KNOWN == set()


def _merged(schema: dict) -> dict:
    """The object's properties with the constraints of its `then` parts (own or in allOf) applied: data that
    has every property and satisfies them satisfies each conditional whether or not its `if` holds."""
    props = {name: dict(sub) for name, sub in (schema.get("properties") or {}).items()}
    for part in [schema, *schema.get("allOf", [])]:
        for name, extra in ((part.get("then") or {}).get("properties") or {}).items():
            props[name].update(extra)
    return props


def valid(schema: dict) -> st.SearchStrategy:
    """Values satisfying schema (the subset in KNOWN)."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.sampled_from([option["const"] for option in schema["oneOf"]])
    kind = schema.get("type")
    if kind == "object":
        return st.fixed_dictionaries({name: valid(sub) for name, sub in _merged(schema).items()})
    if kind == "array":
        items = valid(schema.get("items", {}))
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 5),
                        unique=bool(schema.get("uniqueItems")))
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + (1 if kind == "integer" else 0)
        if kind == "integer":
            return st.integers(min_value=None if low is None else math.ceil(low), max_value=high)
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False,
                         exclude_min="exclusiveMinimum" in schema)
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return st.dates().map(lambda d: d.isoformat())
        if fmt == "date-time":
            return st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat())
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**9))
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 300), 300))
    return json_values


def _check_refusal(exc: ValidationFailed):
    assert exc.message and isinstance(exc.field_errors, dict) and exc.field_errors
    for field, messages in exc.field_errors.items():
        assert isinstance(field, str)
        messages = messages if isinstance(messages, list) else [messages]
        assert messages and all(isinstance(m, str) and m for m in messages)


@SETTINGS
@given(name=st.sampled_from(sorted(FORMS)), data=st.data())
def test_any_json_validates_or_is_refused_field_by_field(name, data):
    schema = FORMS[name]
    fields = sorted(schema.get("properties") or {})
    # whole documents of any shape, and objects with the form's own field names holding anything
    shaped = st.fixed_dictionaries({}, optional={f: json_values for f in fields}) if fields else json_values
    value = data.draw(json_values | shaped | st.text(min_size=5000, max_size=6000).map(lambda s: {fields[0]: s}
                                                                                           if fields else s))
    try:
        validate_data(schema, value)
    except ValidationFailed as exc:
        _check_refusal(exc)


@SETTINGS
@given(name=st.sampled_from(sorted(FORMS)), data=st.data())
def test_data_built_from_the_schema_always_validates(name, data):
    value = data.draw(valid(FORMS[name]))
    validate_data(FORMS[name], value)


def test_not_a_number_is_refused():
    """Python's JSON reader accepts NaN and Infinity; the forms refuse them (they cannot be stored)."""
    schema = {"type": "object", "properties": {"amount": {"type": "number", "minimum": 0}}}
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValidationFailed) as refused:
            validate_data(schema, {"amount": bad})
        _check_refusal(refused.value)
