"""Time zones: the company's (DISPLAY_TIMEZONE, China time by default), the ones a person may choose on
their settings page, and the zone times are shown in for the current request."""
from ..i18n import _

COMPANY_ZONE = "Asia/Shanghai"
# zones a person can choose on the account page (IANA name -> UTC offset); the company's zone first
ZONES = {
    "Asia/Shanghai": "UTC+8", "Asia/Hong_Kong": "UTC+8", "Asia/Singapore": "UTC+8", "Asia/Tokyo": "UTC+9",
    "Asia/Kolkata": "UTC+5:30", "Asia/Dubai": "UTC+4", "Europe/Moscow": "UTC+3", "Europe/Berlin": "UTC+1/+2",
    "Europe/London": "UTC+0/+1", "Africa/Johannesburg": "UTC+2", "America/New_York": "UTC-5/-4",
    "America/Chicago": "UTC-6/-5", "America/Los_Angeles": "UTC-8/-7", "America/Sao_Paulo": "UTC-3",
    "Australia/Sydney": "UTC+10/+11", "UTC": "UTC",
}


def _zone_names() -> dict[str, str]:
    return {"Asia/Shanghai": _("China time (Beijing)"), "Asia/Hong_Kong": _("Hong Kong"),
            "Asia/Singapore": _("Singapore"), "Asia/Tokyo": _("Tokyo"), "Asia/Kolkata": _("India (New Delhi)"),
            "Asia/Dubai": _("Dubai"), "Europe/Moscow": _("Moscow"), "Europe/Berlin": _("Central Europe (Berlin)"),
            "Europe/London": _("London"), "Africa/Johannesburg": _("Johannesburg"),
            "America/New_York": _("US Eastern (New York)"), "America/Chicago": _("US Central (Chicago)"),
            "America/Los_Angeles": _("US Pacific (Los Angeles)"), "America/Sao_Paulo": _("São Paulo"),
            "Australia/Sydney": _("Sydney"), "UTC": _("Coordinated Universal Time")}


def zone_choices() -> list[tuple[str, str]]:
    """(IANA zone, readable name in the page language) for the time-zone select."""
    names = _zone_names()
    return [(zone, f"{names[zone]} ({offset})") for zone, offset in ZONES.items()]


def zone_name(zone: str | None) -> str:
    """A zone as people read it (its IANA name when it is not one of the listed ones)."""
    return _zone_names().get(zone or company_zone()) or str(zone)


def company_zone() -> str:
    """The company's zone (DISPLAY_TIMEZONE, China time unless configured otherwise)."""
    try:
        from flask import current_app
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or COMPANY_ZONE
    except RuntimeError:
        return COMPANY_ZONE


def user_zone(user) -> str:
    """The zone one person reads times in: their own setting, else the company's."""
    zone = getattr(user, "timezone", None)
    return zone if zone and _known_zone(zone) else company_zone()


def _known_zone(zone: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def display_zone() -> str:
    """The zone times are shown in for this request: the signed-in user's setting (page or API token),
    else the company's zone. Outside a request (workers, CLI) the company's zone; jobs writing for one
    person (e-mails) pass user_zone(user) explicitly."""
    try:
        from flask import g, has_request_context
        if not has_request_context():
            return company_zone()
        if "time_zone" not in g:
            from flask_login import current_user
            user = getattr(g, "api_user", None)
            if user is None and current_user and current_user.is_authenticated:
                user = getattr(current_user, "user", None)
            g.time_zone = user_zone(user)
        return g.time_zone or company_zone()
    except RuntimeError:
        return COMPANY_ZONE
