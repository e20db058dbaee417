#!/usr/bin/env python3
"""A loopback stand-in for Datadog's intake. Validates every body against Datadog's own schemas
(tests/fixtures/schemas/datadog), checks the headers, records each request as a JSON line, and
answers 500, 429 (with X-RateLimit-Reset) or hangs when told to (POST /_control). A UDP socket
records DogStatsD datagrams. Prints "<http port> <udp port>" on its first line."""
import gzip, json, os, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import jsonschema

api_key, app_key, record_path = sys.argv[1], sys.argv[2], sys.argv[3]
schemas_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures/schemas/datadog")
def load(name):
    return jsonschema.Draft202012Validator(json.load(open(os.path.join(schemas_dir, name + ".schema.json"))))
routes = {
    "/api/v2/series": (load("v2_series_MetricPayload"), False),
    "/api/v1/events": (load("v1_events_EventCreateRequest"), False),
    "/api/v2/incidents": (load("v2_incidents_IncidentCreateRequest"), True),
    "/api/v2/logs": (load("v2_logs_HTTPLog"), False),
}
state = {"mode": "ok", "reset": 1}
assets = {"dashboard": {}, "monitor": {}}
asset_schemas = {"dashboard": load("v1_dashboard_Dashboard"), "monitor": load("v1_monitor_Monitor")}
lock = threading.Lock()
out = open(record_path, "a", buffering=1)

def record(entry):
    with lock:
        out.write(json.dumps(entry) + "\n")

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def reply(self, status, body=b"{}", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def asset(self, method, raw):
        """Dashboards and monitors for `shieldflow datadog apply`: schema-checked, kept in memory."""
        from urllib.parse import urlparse, parse_qs
        u = urlparse(self.path)
        parts = u.path.strip("/").split("/")  # api v1 dashboard [id]
        kind = parts[2]
        if self.headers.get("DD-API-KEY") != api_key or self.headers.get("DD-APPLICATION-KEY") != app_key:
            record({"t": time.time(), "path": u.path, "method": method, "status": 403})
            return self.reply(403, b'{"errors":["forbidden"]}')
        store = assets[kind]
        if method == "GET":
            if kind == "dashboard":
                return self.reply(200, json.dumps({"dashboards": [{"id": k, "title": v["title"]} for k, v in store.items()]}).encode())
            name = parse_qs(u.query).get("name", [""])[0]
            return self.reply(200, json.dumps([dict(v, id=k) for k, v in store.items() if name in v["name"]]).encode())
        doc = json.loads(raw)
        problems = [e.message for e in asset_schemas[kind].iter_errors(doc)][:3]
        record({"t": time.time(), "path": u.path, "method": method, "status": 400 if problems else 200, "problems": problems})
        if problems:
            return self.reply(400, json.dumps({"errors": problems}).encode())
        if method == "POST":
            key = ("dash-%d" % (len(store) + 1)) if kind == "dashboard" else len(store) + 1
        else:
            key = parts[3] if kind == "dashboard" else int(parts[3])
            if key not in store:
                return self.reply(404)
        store[key] = doc
        self.reply(200, json.dumps(dict(doc, id=key)).encode())

    def do_GET(self):
        if self.path.startswith("/api/v1/dashboard") or self.path.startswith("/api/v1/monitor"):
            return self.asset("GET", b"")
        self.reply(404)

    def do_PUT(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        return self.asset("PUT", raw)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.startswith("/api/v1/dashboard") or self.path.startswith("/api/v1/monitor"):
            return self.asset("POST", raw)
        if self.path == "/_control":
            state.update(json.loads(raw))
            return self.reply(200)
        entry = {"t": time.time(), "path": self.path, "seq": self.headers.get("X-ShieldFlow-Sequence"), "bytes": len(raw)}
        mode = state["mode"]
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "500":
            entry["status"] = 500; record(entry)
            return self.reply(500, b'{"errors":["down"]}')
        if mode == "429":
            entry["status"] = 429; record(entry)
            return self.reply(429, b'{"errors":["rate limited"]}', [("X-RateLimit-Limit", "100"), ("X-RateLimit-Period", "10"),
                                                                   ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(state["reset"]))])
        problems = []
        if self.path not in routes:
            entry["status"] = 404; record(entry)
            return self.reply(404)
        validator, needs_app = routes[self.path]
        if self.headers.get("DD-API-KEY") != api_key:
            problems.append("DD-API-KEY missing or wrong")
        if needs_app and self.headers.get("DD-APPLICATION-KEY") != app_key:
            problems.append("DD-APPLICATION-KEY missing or wrong")
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            problems.append("Content-Type")
        body = raw
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(raw)
        if self.path == "/api/v2/series" and len(raw) > 512000:
            problems.append("series payload over 512 kB")
        if self.path == "/api/v2/logs" and len(body) > 5 * 1024 * 1024:
            problems.append("logs payload over 5 MB")
        try:
            doc = json.loads(body)
            errors = [e.message for e in validator.iter_errors(doc)][:3]
            problems += errors
            if self.path == "/api/v2/logs" and len(doc) > 1000:
                problems.append("more than 1000 log entries")
            if self.path == "/api/v1/events" and len(doc.get("text", "")) > 4000:
                problems.append("event text over 4000 characters")
        except Exception as e:
            problems.append("not JSON: %s" % e)
            doc = None
        entry.update({"status": 400 if problems else 202, "problems": problems, "body": body.decode("utf-8", "replace")})
        record(entry)
        self.reply(400 if problems else 202, json.dumps({"errors": problems}).encode() if problems else b"{}")

udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
def statsd():
    while True:
        data, _ = udp.recvfrom(65535)
        for line in data.decode("utf-8", "replace").split("\n"):
            record({"t": time.time(), "path": "dogstatsd", "line": line, "status": 0})
threading.Thread(target=statsd, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], udp.getsockname()[1], flush=True)
server.serve_forever()
