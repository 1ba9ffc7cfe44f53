"""A local HTTP server on 127.0.0.1 that serves OpenFace files the way a mirror would,
and misbehaves on request: wrong bytes, transfers cut short, web pages instead of files."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Set, Tuple


class ModelServer:
    """Serves ``root/<path>`` at ``http://127.0.0.1:<port>/<path>``, with HTTP ranges.

    Attributes set by tests:
      ``corrupt``: paths served with their bytes altered (same size, wrong SHA-256);
      ``cut_once``: paths whose next transfer stops after ``cut_fraction`` of the body;
      ``html``: paths answered with a web page.
    ``requests`` records ``(path, Range header or None)`` for every GET.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.corrupt: Set[str] = set()
        self.cut_once: Set[str] = set()
        self.cut_fraction = 0.5
        self.html: Set[str] = set()
        self.requests: List[Tuple[str, object]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                path = self.path.lstrip("/")
                server.requests.append((path, self.headers.get("Range")))
                if path in server.html:
                    body = b"<html>sign in</html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                file = server.root / path
                if not file.is_file():
                    self.send_error(404)
                    return
                data = file.read_bytes()
                if path in server.corrupt:
                    data = bytes(b ^ 0x5A for b in data[:64]) + data[64:]
                start = 0
                if self.headers.get("Range", "").startswith("bytes="):
                    start = int(self.headers["Range"][6:].split("-")[0])
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if path in server.cut_once:
                    server.cut_once.discard(path)
                    self.wfile.write(body[:int(len(body) * server.cut_fraction)])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "ModelServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def gets(self) -> Dict[str, List[object]]:
        """Range headers of the requests made, per path."""
        out: Dict[str, List[object]] = {}
        for path, rng in self.requests:
            out.setdefault(path, []).append(rng)
        return out
