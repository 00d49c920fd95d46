"""Serve moto (the AWS API emulator) for the runtime tests, one request at a time.

Why not `moto_server`: it runs moto's WSGI app on a *threaded* werkzeug server, and moto's
DynamoDB backend takes no lock. A conditional write is a check followed by a put, and a
TransactWriteItems snapshots the whole table (copy.deepcopy) to roll back on a failed
condition, so concurrent requests interleave: two writers both pass `attribute_not_exists`
on the same key, or a cancelled transaction's rollback restores a copy that drops another
request's committed items. We saw it: 20 concurrent appends to one stream (in a table of
300 events) all succeeded and all 20 idempotency records were stored, but only 19 events
were left, an acknowledged write lost. Real DynamoDB makes each conditional write and each
transaction atomic.

So this launcher keeps werkzeug's threaded server (connections, keep-alive and request
parsing stay concurrent) but runs moto's app under one lock, and drains the response body
inside it: every API call is applied to the emulator's state atomically, in some serial
order, which is the guarantee DynamoDB gives and the one the event store relies on.

Usage: python moto_server.py [--host 127.0.0.1] [--port 0]
Prints `MOTO_PORT=<port>` on stdout once listening. Exits when stdin closes, so the server
never outlives the test process that started it.
"""
import argparse
import logging
import os
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


class SerializedApp:
    """A WSGI app that runs the wrapped app for one request at a time."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        return [body]


def exit_when_stdin_closes():
    try:
        sys.stdin.read()
    finally:
        os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    app = SerializedApp(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ["MOTO_PORT"] = str(server.port)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(f"MOTO_PORT={server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
