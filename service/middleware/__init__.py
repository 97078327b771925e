"""The ASGI middleware, one concern each, in plain ASGI (no BaseHTTPMiddleware: no task or stream per request).

Outermost first: request_log (request id, access log, metrics), pin_snapshot (one snapshot per request, named
in a header), body_limit (413 past max_body_bytes, however the body is sent). Each is an `http.HttpMiddleware`:
lifespan and other scopes pass straight through.
"""
