"""The local cloud's process: moto in server mode, extended, on a loopback port.

Started by ``control.up`` as ``python -m orchestrator.local_cloud.server --host 127.0.0.1
--port P --work-dir D``; SIGTERM (or Ctrl+C) stops it cleanly, Lambda workers included.
It refuses to start (exit code 3, reason after ``control.REFUSED_MARKER``) on a moto other than
the pinned one, or when a patch finds moto changed (``monkeypatch``).

IAM is enforced as on AWS (see ``access_control``): the default keys ``test``/``test`` are an
administrator's, each Lambda function runs with its execution role's temporary credentials, and
a call its policies do not allow fails with AccessDenied. ``LOCAL_CLOUD_IAM=off`` in the
server's environment turns enforcement off (any key is accepted, nothing is denied).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import moto

from orchestrator.local_cloud.control import REFUSED_MARKER
from orchestrator.local_cloud.monkeypatch import MotoDriftError, check_moto_version

VERSION = f"local-cloud/1 moto/{moto.__version__}"
EXIT_REFUSED = 3

log = logging.getLogger("local_cloud")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    return parser.parse_args(argv)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _refuse(error: MotoDriftError) -> int:
    # control.up reads what follows the marker and shows it as the error.
    print(f"{REFUSED_MARKER}{error}", flush=True)
    return EXIT_REFUSED


def one_write_handler(base: type) -> type:
    class OneWriteResponses(base):
        """Each answer leaves in one write, status line, headers and body together.

        Werkzeug writes the headers, then the body. Under load the Terraform provider's HTTP
        client now and then closed the connection between the two (seen with tcpdump: FIN or
        RST right after the headers) and retried a CreateFunction the server had already
        done, which then failed for minutes with "Function already exist". Buffered, the
        whole answer is sent by the one flush Werkzeug makes after each body chunk.
        """

        wbufsize = 1 << 16

    return OneWriteResponses


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        check_moto_version()
    except MotoDriftError as error:
        return _refuse(error)
    # Only now: these import moto's internals, which another moto version may not have.
    from orchestrator.local_cloud.container_logs import ContainerLogShipper
    from orchestrator.local_cloud.dynamodb_atomic import SerializedDynamoDB
    from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
    from orchestrator.local_cloud.middleware import LocalCloudMiddleware
    from orchestrator.local_cloud.patches import apply_all
    from orchestrator.local_cloud.slow_requests import SlowRequestWatch
    from orchestrator.local_cloud.sns_record import SnsRecord

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per request would drown the log in Terraform's polling; errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    started = time.perf_counter()
    os.environ["MOTO_PORT"] = str(args.port)  # moto builds some URLs from it
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    public_base_url = f"http://{args.host}:{args.port}"
    args.work_dir.mkdir(parents=True, exist_ok=True)
    runtime = LambdaRuntime(args.work_dir.resolve(), endpoint_url=public_base_url)
    record = SnsRecord()
    try:
        apply_all(runtime, record, public_base_url)
    except MotoDriftError as error:
        runtime.shutdown()
        return _refuse(error)
    app = SlowRequestWatch(
        LocalCloudMiddleware(
            SerializedDynamoDB(DomainDispatcherApplication(create_backend_app)),
            runtime,
            record,
            VERSION,
        )
    )
    app.start()
    server = make_server(
        args.host,
        args.port,
        app,
        threaded=True,
        request_handler=one_write_handler(MotoRequestHandler),
    )
    # The local TODO task's containers log to CloudWatch Logs as ECS's awslogs driver does.
    container_logs = ContainerLogShipper(public_base_url)
    container_logs.start()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info(
        "local cloud %s listening on %s (work dir %s, ready in %.2f s)",
        VERSION,
        public_base_url,
        args.work_dir,
        time.perf_counter() - started,
    )
    try:
        server.serve_forever()
    finally:
        log.info("stopping: %d Lambda worker(s)", runtime.worker_count())
        app.stop()
        runtime.shutdown()
        container_logs.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
