"""The company directory (LDAP / Active Directory) with ldap3: find the person with a service bind and a
search, check the password by binding as them, and read their directory groups. Which directory groups
mean which departments, heads and product roles is configuration (LDAP_GROUP_MAP, LDAP_HEAD_MAP,
LDAP_ROLE_MAP: JSON objects from a group's DN or cn to a department code or role).

Settings: LDAP_URL (empty: no directory), LDAP_BIND_DN / LDAP_BIND_PASSWORD (service account; empty:
anonymous search), LDAP_USER_BASE, LDAP_USER_FILTER ({username} is replaced, escaped), LDAP_GROUP_BASE,
LDAP_GROUP_FILTER ({dn}), LDAP_NAME_ATTR, LDAP_MAIL_ATTR, LDAP_START_TLS, LDAP_TIMEOUT."""
import json
import logging
from dataclasses import dataclass, field

from ldap3 import NONE, SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from ...settings import setting

log = logging.getLogger(__name__)

DEFAULTS = {
    "LDAP_URL": "",
    "LDAP_BIND_DN": "",
    "LDAP_BIND_PASSWORD": "",  # nosec B105 # empty: no directory unless configured
    "LDAP_USER_BASE": "",
    "LDAP_USER_FILTER": "(&(objectClass=person)(uid={username}))",
    "LDAP_GROUP_BASE": "",
    "LDAP_GROUP_FILTER": "(|(member={dn})(uniqueMember={dn}))",
    "LDAP_NAME_ATTR": "displayName",
    "LDAP_MAIL_ATTR": "mail",
    "LDAP_GROUP_MAP": "{}",
    "LDAP_HEAD_MAP": "{}",
    "LDAP_ROLE_MAP": "{}",
    "LDAP_START_TLS": "0",
    "LDAP_TIMEOUT": "5",
}
SECRETS = ("LDAP_BIND_PASSWORD",)


def _get(name: str) -> str:
    return str(setting(name, DEFAULTS[name]) or "")


def configured() -> bool:
    return bool(_get("LDAP_URL"))


@dataclass
class Person:
    """What the directory says about someone who just proved their password."""
    username: str
    dn: str
    display_name: str
    email: str | None
    directory_groups: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    head_of: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


def _mapping(name: str) -> dict[str, str]:
    try:
        value = json.loads(_get(name) or "{}")
    except json.JSONDecodeError:
        log.error("%s is not a JSON object; directory groups are not mapped", name)
        return {}
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def _keys(group_dn: str) -> list[str]:
    """A directory group is named in the maps by its DN or by its cn."""
    keys = [group_dn.lower()]
    try:
        first = parse_dn(group_dn)[0]
        keys.append(first[1].lower())
    except (LDAPException, IndexError):
        pass
    return keys


def _map(groups: list[str], name: str) -> list[str]:
    mapping = _mapping(name)
    out = []
    for dn in groups:
        for key in _keys(dn):
            value = mapping.get(key)
            for item in (value if isinstance(value, list) else [value] if value else []):
                if item not in out:
                    out.append(item)
    return out


def _connection(server: Server, user: str | None, password: str | None) -> Connection:
    timeout = int(_get("LDAP_TIMEOUT") or 5)
    conn = Connection(server, user=user or None, password=password or None, receive_timeout=timeout,
                      raise_exceptions=False, auto_referrals=False)
    if _get("LDAP_START_TLS") == "1":
        conn.open()
        conn.start_tls()
    return conn


def _first(entry, attr: str) -> str | None:
    values = entry["attributes"].get(attr)
    if isinstance(values, list):
        return str(values[0]) if values else None
    return str(values) if values else None


def check(username: str, password: str) -> Person | None:
    """The person if the directory knows `username` and `password` is theirs; None otherwise (also when
    the directory cannot be reached: the error is logged, the sign-in refused)."""
    if not configured() or not username or not password:
        return None
    server = Server(_get("LDAP_URL"), get_info=NONE, connect_timeout=int(_get("LDAP_TIMEOUT") or 5))
    name_attr, mail_attr = _get("LDAP_NAME_ATTR"), _get("LDAP_MAIL_ATTR")
    try:
        service = _connection(server, _get("LDAP_BIND_DN"), _get("LDAP_BIND_PASSWORD"))
        if not service.bind():
            log.error("directory: the service bind failed: %s", service.result.get("description"))
            return None
        query = _get("LDAP_USER_FILTER").replace("{username}", escape_filter_chars(username))
        service.search(_get("LDAP_USER_BASE"), query, SUBTREE, attributes=[name_attr, mail_attr, "cn", "memberOf"],
                       size_limit=2)
        found = [e for e in service.response if e.get("type") == "searchResEntry"]
        if len(found) != 1:
            service.unbind()
            return None
        entry = found[0]
        dn = entry["dn"]
        own = _connection(server, dn, password)
        if not own.bind():
            service.unbind()
            return None
        own.unbind()
        groups = [str(g) for g in entry["attributes"].get("memberOf") or []]
        if _get("LDAP_GROUP_BASE"):
            service.search(_get("LDAP_GROUP_BASE"), _get("LDAP_GROUP_FILTER").replace("{dn}", escape_filter_chars(dn)),
                           SUBTREE, attributes=["cn"])
            groups += [e["dn"] for e in service.response if e.get("type") == "searchResEntry" and e["dn"] not in groups]
        service.unbind()
    except LDAPException as exc:
        log.error("directory: %s", exc)
        return None
    heads = _map(groups, "LDAP_HEAD_MAP")
    return Person(username=username, dn=dn,
                  display_name=_first(entry, name_attr) or _first(entry, "cn") or username,
                  email=_first(entry, mail_attr), directory_groups=groups,
                  groups=list(dict.fromkeys(_map(groups, "LDAP_GROUP_MAP") + heads)), head_of=heads,
                  roles=_map(groups, "LDAP_ROLE_MAP"))
