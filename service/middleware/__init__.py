"""The ASGI middleware, one concern each, in plain ASGI (no BaseHTTPMiddleware: no task or stream per request).

Outermost first: request_log (request id, access log, metrics), head (HEAD as GET), pin_snapshot (one snapshot
per request, named in a header), firm_profile (GET /v1/firms/{firm_id} answered from memory when nothing needs
deciding), then Starlette's gzip, and body_limit (413 past max_body_bytes, however the body is sent). Each of
ours is an `http.HttpMiddleware`: lifespan and other scopes pass straight through.
"""
