"""Every URL of the tenant URLconf, with placeholder arguments, found by walking the
resolver — so the role tests cover screens other apps add without being told."""

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

PLACEHOLDER_INT = "987654"
PLACEHOLDER_UUID = str(uuid.UUID(int=987654))


@dataclass(frozen=True)
class TenantURL:
    name: str  # "namespace:name", or the route when unnamed
    path: str  # a concrete path with placeholder arguments

    def __str__(self) -> str:
        return f"{self.name} {self.path}"


def _converter_value(conv) -> str:
    name = type(conv).__name__.lower()
    if "int" in name:
        return PLACEHOLDER_INT
    if "uuid" in name:
        return PLACEHOLDER_UUID
    if "path" in name:
        return "x/y"
    return "abc"  # str, slug and custom converters get a plain token


def _route_part(pattern) -> str | None:
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)
        for name, conv in pattern.converters.items():
            route = re.sub(r"<(?:[^>:]+:)?" + re.escape(name) + r">", _converter_value(conv), route)
        return route
    if isinstance(pattern, RegexPattern):
        rx = pattern._regex
        if "(?P<format>" in rx:  # DRF format-suffix duplicates: covered by the plain route
            return None
        rx = rx.lstrip("^").rstrip("$").replace("\\Z", "")

        def group(m):
            name, inner = m.group(1), m.group(2)
            if (
                "0-9" in inner
                or "\\d" in inner
                or name in ("pk", "id")
                or name.endswith(("_pk", "_id"))
            ):
                return PLACEHOLDER_INT  # DRF lookups ([^/.]+) get a plausible id
            return "abc"

        rx = re.sub(r"\(\?P<(\w+)>([^)]*)\)", group, rx)
        rx = rx.replace("\\.", ".").replace("\\/", "/").replace("/?", "/")
        if any(c in rx for c in "()[]*+?|\\"):
            return None  # too clever a regex to fill in; skipped
        return rx
    return None


def tenant_urls(urlconf: str = "lumbung.urls_tenant") -> list[TenantURL]:
    out: dict[str, TenantURL] = {}

    def walk(patterns, prefix: str, ns: list[str]):
        for p in patterns:
            part = _route_part(p.pattern)
            if part is None:
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + part, ns + ([p.namespace] if p.namespace else []))
            elif isinstance(p, URLPattern):
                path = "/" + prefix + part
                name = ":".join(ns + [p.name]) if p.name else path
                out.setdefault(path, TenantURL(name=name, path=path))

    walk(get_resolver(urlconf).url_patterns, "", [])
    return sorted(out.values(), key=lambda u: u.path)
