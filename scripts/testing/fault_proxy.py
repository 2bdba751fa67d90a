#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the S3 store tests: forwards every request to an upstream
(keeping the Host header, so SigV4 signatures still verify) and misbehaves on demand.

Usage: fault_proxy.py UPSTREAM_HOST:PORT MODE COUNT
  MODE pass     forward everything
  MODE fail     answer the first COUNT requests with 503, then forward
  MODE reset    for the first COUNT GETs, send the headers and half the body, then close the socket
  MODE corrupt  flip one byte in the body of every GET
Prints the port it listens on (loopback) as its first line. GET /__stats answers {"requests": N}.
"""
import http.client, http.server, json, socket, sys, threading

upstream_host, upstream_port = sys.argv[1].rsplit(":", 1)
mode, count = sys.argv[2], int(sys.argv[3])
lock = threading.Lock()
state = {"requests": 0, "faults": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/__stats":
            body = json.dumps(state).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.forward()

    do_HEAD = do_PUT = do_POST = do_DELETE = lambda self: self.forward()

    def forward(self):
        with lock:
            state["requests"] += 1
            fault = mode in ("fail", "reset") and state["faults"] < count and (mode == "fail" or self.command == "GET")
            if fault:
                state["faults"] += 1
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else None
        if fault and mode == "fail":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        connection = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for key, value in headers.items():
            connection.putheader(key, value)
        connection.endheaders(body)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        if mode == "corrupt" and self.command == "GET" and response.status == 200 and payload:
            payload = bytearray(payload)
            payload[len(payload) // 2] ^= 0xFF
            payload = bytes(payload)
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault and mode == "reset":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(payload)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
