"""Password rules: argon2id hashes, a minimum length and a check against the most common passwords
(the 30,000-entry list that ships with zxcvbn, plus the product's and company's own obvious words)."""
import secrets
import string
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ...i18n import _
from ...settings import setting
from ..errors import ValidationFailed

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
LOCAL_WORDS = ("workflow", "admin123", "changeme", "welcome1", "qwertyuiop", "password123", "woaini1314",
               "5201314", "1qaz2wsx", "a123456789", "zhang123", "demo1234")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_hash(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_check(password: str) -> None:
    """Spend the time of a real check (a refusal must not reveal whether the user exists)."""
    _hasher.hash(password)


DEFAULT_MIN_LENGTH = 10


def min_length() -> int:
    return int(setting("PASSWORD_MIN_LENGTH", str(DEFAULT_MIN_LENGTH)))


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(LOCAL_WORDS)


def problems(password: str, *, username: str = "", display_name: str = "") -> list[str]:
    """What is wrong with a new password, in the user's language (empty: acceptable)."""
    found = []
    if len(password) < min_length():
        found.append(_("The password must have at least %(n)s characters.", n=min_length()))
    lowered = password.lower()
    stem = lowered.rstrip(string.digits + string.punctuation)  # "password2024!" is still "password"
    if lowered in _common() or (len(stem) >= 4 and stem in _common()):
        found.append(_("This password is one of the most common passwords; please choose another."))
    elif len(set(password)) < 4:
        found.append(_("The password repeats too few different characters."))
    names = {n.lower() for n in (username, display_name) if n and len(n) >= 3}
    if any(name in lowered for name in names):
        found.append(_("The password must not contain your user name."))
    return found


def check_new(password: str, *, username: str = "", display_name: str = "", field: str = "new_password") -> None:
    found = problems(password, username=username, display_name=display_name)
    if found:
        error = ValidationFailed(found[0], {field: found})
        error.code = "weak_password"
        raise error


def temporary() -> str:
    """A random temporary password an administrator hands over (must be changed at the next sign-in)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        word = "".join(secrets.choice(alphabet) for _i in range(14))
        if not problems(word):
            return word
