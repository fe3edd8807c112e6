"""Starts and stops the whole local stack: moto server, resources, the API server and the SQS pollers."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any

import boto3

from hookline import settings
from infra.local.api_gateway import make_server, serve_in_background
from infra.local.lambda_runtime import SqsPoller
from infra.local.moto_server import AWS_PORT, MotoProcess
from infra.local.ports import (
    API_PORT_ENV,
    AWS_PORT_ENV,
    DEFAULT_API_PORT,
    DEFAULT_AWS_PORT,
    Port,
    PortUnusable,
    check_free,
    unusable,
)
from infra.local.resources import create_resources

__all__ = ["DEFAULT_API_PORT", "DEFAULT_AWS_PORT", "LocalStack", "free_port"]
API_PORT = "the management API"
LOCAL_ALLOWLIST = "127.0.0.1,::1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalStack:
    """The service on a laptop. Ports 0 pick free ones (tests)."""

    aws_port: int = DEFAULT_AWS_PORT
    api_port: int = DEFAULT_API_PORT
    host: str = "127.0.0.1"
    admin_token: str = ""
    outbound_allowlist: str = LOCAL_ALLOWLIST
    #: Caps holds and retry delays; tests set 1 s so a clock moved forward is noticed at once.
    max_hold_seconds: int | None = None
    start_pollers: bool = True
    environment: dict[str, str] = field(default_factory=dict)
    pollers: list[SqsPoller] = field(default_factory=list)
    ready: bool = False

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    def start(self) -> LocalStack:
        """Start everything; PortUnusable (nothing started) when a port asked for is taken."""
        check_free(
            self.host, [Port(self.aws_port, AWS_PORT, AWS_PORT_ENV), Port(self.api_port, API_PORT, API_PORT_ENV)]
        )
        self.api_port = self.api_port or free_port()
        self.admin_token = self.admin_token or os.environ.get(settings.ADMIN_TOKEN_ENV) or secrets.token_urlsafe(24)
        self._moto = MotoProcess(self.host, self.aws_port)
        self.aws_port = self._moto.port
        base_env = {
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": settings.SERVICE_NAME,
            settings.ADMIN_TOKEN_ENV: self.admin_token,
            settings.OUTBOUND_ALLOWLIST_ENV: self.outbound_allowlist,
            settings.INSTANCE_URL_ENV: self.api_url,
        }
        if self.max_hold_seconds is not None:
            base_env[settings.MAX_HOLD_ENV] = str(self.max_hold_seconds)
        os.environ.update(base_env)
        self.environment = {**base_env, **create_resources(self.session())}
        os.environ.update(self.environment)
        self._reset_process_caches()

        from hookline.handlers import api, ingest, sender

        try:
            self._api = make_server(self.host, self.api_port, api.lambda_handler, lambda: self.ready)
        except OSError:
            self._moto.stop()
            problem = unusable(self.host, self.api_port)
            if problem:  # taken since it was checked
                raise PortUnusable([(Port(self.api_port, API_PORT, API_PORT_ENV), problem)]) from None
            raise
        serve_in_background(self._api)
        sqs = self.session().client("sqs")
        self.pollers = [
            SqsPoller(
                "IngestFunction",
                sqs,
                self.environment[settings.INGEST_QUEUE.env_var],
                settings.INGEST_QUEUE,
                ingest.lambda_handler,
            ),
            SqsPoller(
                "SenderFunction",
                sqs,
                self.environment[settings.DELIVERY_QUEUE.env_var],
                settings.DELIVERY_QUEUE,
                sender.lambda_handler,
            ),
        ]
        if self.start_pollers:
            self.run_pollers()
        self.ready = True
        return self

    def run_pollers(self) -> None:
        """Start the event source mappings (fresh threads each time, so they can be stopped and run again)."""
        self.stop_pollers()
        self.pollers = [SqsPoller(p.name, p.sqs, p.queue_url, p.spec, p.handler) for p in self.pollers]
        for poller in self.pollers:
            poller.start()

    def stop_pollers(self) -> None:
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            if poller.is_alive():
                poller.join(timeout=5)

    def drain_queues(self) -> None:
        """Empty the stack's queues and DLQs, hidden and delayed messages too (the local moto allows a purge at any
        time), so one test's retries never reach the next."""
        sqs = self.client("sqs")
        for spec in (settings.INGEST_QUEUE, settings.DELIVERY_QUEUE):
            for env in (spec.env_var, spec.dlq_env_var):
                sqs.purge_queue(QueueUrl=self.environment[env])

    def session(self) -> boto3.Session:
        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

    def client(self, service: str) -> Any:
        return self.session().client(service, endpoint_url=self.aws_endpoint)  # type: ignore[call-overload]

    def stop(self) -> None:
        self.ready = False
        self.stop_pollers()
        self._api.shutdown()
        self._api.server_close()
        self._moto.stop()

    @staticmethod
    def _reset_process_caches() -> None:
        """Handlers cache clients and config per process; a new stack in the same process needs fresh ones."""
        from hookline import config, wiring
        from hookline.adapters import aws, secret_box
        from hookline.api import auth

        for cached in (
            aws.dynamodb,
            aws.sqs,
            aws.events,
            aws.secretsmanager,
            config.runtime_config,
            wiring.fan_out,
            wiring.delivery_sender,
            wiring.hook_admin,
            secret_box.kms,
            secret_box.secret_box,
            auth.admin_token_hash,
        ):
            cached.cache_clear()
