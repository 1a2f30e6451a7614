"""Where a page may send the browser back to after signing in or choosing a language: only a path of this
site. Browsers drop tabs and newlines from a URL and read a backslash as a slash, so a value is judged as a
browser would read it: anything with a control character, whitespace or a backslash, anything that names a
scheme or a host (`//host`, `/\\host`, `https:`), and anything not starting with a single slash is refused."""
from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    if not target or not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return False
    if any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def local_path(target: str | None, default: str) -> str:
    """target if it is a path of this site, else default."""
    return target if is_local_path(target) else default


def same_site(url: str | None, host: str, default: str) -> str:
    """The path (and query) of url when it points to this host (a Referer header), else default."""
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return default
    path = parts.path + ("?" + parts.query if parts.query else "")
    return local_path(path, default)
