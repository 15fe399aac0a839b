"""A local S3-compatible server for the messaging tests (moto in server mode).

Usage: python3 s3_server.py BUCKET LOG
Creates BUCKET, listens on 127.0.0.1 (a free port), prints the port, and
appends one line per request to LOG: its method, path and the scheme of its
Authorization header (so a test can see requests are signed). Exits when
its standard input closes, which happens when the test process that started
it exits, however it exits.
"""

import sys
import threading

import boto3
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


def main():
    bucket, log_path = sys.argv[1], sys.argv[2]
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def logged(environ, start_response):
        scheme = (environ.get("HTTP_AUTHORIZATION") or "-").split(" ", 1)[0]
        with lock, open(log_path, "a") as log:
            log.write(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')} {scheme}\n")
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, logged, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    print(port, flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
