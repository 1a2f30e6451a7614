"""Forms: JSON Schema documents referenced by user tasks, and validation of submitted data."""
import json
import math

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from ...i18n import _
from ..errors import ValidationFailed

FORMAT_CHECKER = FormatChecker()


def load_schema(text: str | bytes) -> dict:
    return json.loads(text)


def schema_problems(name: str, text: str | bytes) -> list[str]:
    try:
        schema = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        return [f"form {name} is not valid JSON: {exc}"]
    if not isinstance(schema, dict):
        return [f"form {name} is not a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"form {name} is not a valid JSON Schema: {exc.message}"]
    return []


def _field_of(error) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        # the missing property is named in the message: "'x' is a required property"
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    elif error.validator == "additionalProperties" and "'" in error.message:
        path.append(error.message.split("'")[1])
    return ".".join(str(p) for p in path) or "_form"


def _message(error, schema: dict) -> str:
    messages = {
        "required": _("This field is required."),
        "type": _("Wrong type of value."),
        "minimum": _("The value is too small (minimum %(limit)s).", limit=error.validator_value),
        "exclusiveMinimum": _("The value must be greater than %(limit)s.", limit=error.validator_value),
        "maximum": _("The value is too large (maximum %(limit)s).", limit=error.validator_value),
        "maxLength": _("The text is too long (at most %(limit)s characters).", limit=error.validator_value),
        "minLength": _("The text is too short (at least %(limit)s characters).", limit=error.validator_value),
        "enum": _("Choose one of the listed values."),
        "oneOf": _("Choose one of the listed values."),
        "const": _("Choose one of the listed values."),
        "minItems": _("Add at least %(limit)s entries.", limit=error.validator_value),
        "maxItems": _("Too many entries (at most %(limit)s).", limit=error.validator_value),
        "uniqueItems": _("An entry is given twice."),
        "format": _("The value does not have the expected format (%(fmt)s).", fmt=error.validator_value),
        "additionalProperties": _("This field is not part of the form."),
        "pattern": _("The value does not have the expected format."),
    }
    return messages.get(error.validator, error.message)


def not_finite(value, path=()):
    """Paths of NaN / Infinity numbers anywhere in value."""
    if isinstance(value, float) and not math.isfinite(value):
        yield ".".join(str(p) for p in path) or "_form"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from not_finite(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from not_finite(item, (*path, index))


def validate_data(schema: dict, data) -> None:
    """Raise ValidationFailed with per-field messages when data does not satisfy the form's schema."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("The form data must be an object."), {"_form": [_("Wrong type of value.")]})
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    errors: dict[str, list[str]] = {}
    for field in not_finite(data):  # NaN and Infinity pass JSON Schema bounds but cannot be stored
        errors.setdefault(field, []).append(_("Wrong type of value."))
    for error in validator.iter_errors(data):
        errors.setdefault(_field_of(error), []).append(_message(error, schema))
    if errors:
        raise ValidationFailed(_("The form has errors; please correct the marked fields."), errors)
