"""Serving behind a TLS-terminating reverse proxy. With TRUSTED_PROXY_HOPS > 0 the application believes the
X-Forwarded-For/-Proto/-Host/-Port headers set by that many proxies in front of it (werkzeug ProxyFix): the
client's address (for the sign-in limits) and whether the browser used HTTPS. Without it those headers are
ignored, since anyone could send them. Every response to an HTTPS request carries Strict-Transport-Security,
so the browser keeps using HTTPS for this site."""
from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix


def install(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    max_age = int(app.config.get("HSTS_MAX_AGE", 31536000))

    @app.after_request
    def strict_transport_security(response):
        if request.is_secure and max_age > 0:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
        return response
