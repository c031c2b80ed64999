"""Every request runs in a trace: the caller's `traceparent` continued (a child span), or a new
trace; the answer carries the request's `traceparent` back. Pure ASGI: the route runs in the same
task, so what it logs and publishes carries the trace."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plumbing.ops.tracing import TraceContext, current_trace


class TraceRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((v for k, v in scope["headers"] if k == b"traceparent"), None)
        incoming = TraceContext.parse(sent.decode("latin-1")) if sent is not None else None
        trace = incoming.child() if incoming else TraceContext.new()
        traceparent = (b"traceparent", trace.traceparent.encode())

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0] != b"traceparent"]
                message["headers"] = [*headers, traceparent]
            await send(message)

        token = current_trace.set(trace)
        try:
            await self.app(scope, receive, send_traced)
        finally:
            current_trace.reset(token)
