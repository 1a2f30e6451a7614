"""Settings, read from the environment with embedded-mode defaults."""
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    instance_dir = PROJECT_ROOT / "instance"
    instance_dir.mkdir(exist_ok=True)
    return f"sqlite:///{instance_dir / 'workflow.sqlite3'}"


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise a key generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = PROJECT_ROOT / "instance" / "secret_key"
    key_file.parent.mkdir(exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    def __init__(self, **overrides):
        env = os.environ
        self.DATABASE_URL = env.get("DATABASE_URL") or _default_database_url()
        self.SECRET_KEY = _secret_key()
        self.PROCESSES_DIR = Path(env.get("PROCESSES_DIR", PROJECT_ROOT / "processes"))
        self.FORMS_DIR = Path(env.get("FORMS_DIR", PROJECT_ROOT / "forms"))
        self.DEMO_MODE = env.get("DEMO_MODE", "1") == "1"
        self.API_TOKEN_MAX_AGE = int(env.get("API_TOKEN_MAX_AGE", 12 * 3600))
        self.BABEL_DEFAULT_LOCALE = "zh"
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "app" / "translations")
        self.SUPPORTED_LOCALES = ("zh", "en")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0") == "1"
        # reverse proxies in front of the server whose X-Forwarded-* headers are believed (0: none)
        self.TRUSTED_PROXY_HOPS = int(env.get("TRUSTED_PROXY_HOPS", 0))
        self.HSTS_MAX_AGE = int(env.get("HSTS_MAX_AGE", 365 * 86400))
        self.PERMANENT_SESSION_LIFETIME = int(env.get("SESSION_LIFETIME", 8 * 3600))
        # pages: times shown in this zone; idle sign-out; failed sign-ins allowed per address; upload size
        self.BABEL_DEFAULT_TIMEZONE = env.get("DISPLAY_TIMEZONE", "Asia/Shanghai")
        self.SESSION_IDLE_MINUTES = int(env.get("SESSION_IDLE_MINUTES", 60))
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "10 per 5 minutes")
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = True
        self.MAX_ATTACHMENT_BYTES = int(env.get("MAX_ATTACHMENT_MB", 10)) * 1024 * 1024
        self.MAX_CONTENT_LENGTH = self.MAX_ATTACHMENT_BYTES * 3
        self.TESTING = False
        for key, value in overrides.items():
            setattr(self, key, value)

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
