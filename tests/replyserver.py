"""A tiny HTTP/1.1 server on 127.0.0.1 that replays fixed replies, for the tests that serve
the same bytes to our client and to the official SDK.

``routes`` maps a piece of a request path (``/invoke``, ``/invoke-with-response-stream``,
``/v1/messages``; the longest that the path contains wins) to ``(content type, parts)``:
the parts are sent as one HTTP chunk each,
as Bedrock and the Anthropic API send stream frames and events.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = tuple[str, list[bytes]]


class ReplyServer:
    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                owner.paths.append(self.path)
                match = [k for k in owner.routes if k in self.path.split("?")[0]]
                if not match:
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                content_type, parts = owner.routes[max(match, key=len)]
                self.send_response(200)
                self.send_header("content-type", content_type)
                self.send_header("x-amzn-requestid", "req-reply-server-1")
                self.send_header("request-id", "req-reply-server-1")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for part in parts:
                    self.wfile.write(b"%x\r\n%b\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")

            # Control-plane and model-list calls are GETs, PUTs and DELETEs: answered alike.
            do_GET = do_PUT = do_DELETE = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that stops reading early (the tests of cut streams)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
