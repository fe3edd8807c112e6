"""The instance: who the token is (``GET /user``), and the GitLab version and metadata Hookline answers as, so that
clients log in as they do with GitLab (python-gitlab's ``auth()``, the ``gitlab`` CLI without ``--skip-login``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from hookline.api.access import principal
from hookline.api.errors import json_response
from hookline.api.models import MetadataOut, UserOut, VersionOut, metadata_out, user_out, version_out
from hookline.api.responses import answers
from hookline.config import runtime_config
from hookline.domain.access import current_user

router = Router()

INSTANCE = "instance"


@router.get(
    "/api/v4/user",
    operation_id="get_current_user",
    summary="Get the current user",
    description="The token's user, in GitLab's shape: the administrator for the admin token, the token's bot user "
    "(as GitLab makes one per group or project access token) for an access token.",
    tags=[INSTANCE],
    responses=answers(200, model=UserOut),
)
def get_current_user() -> Response[Any]:
    instance_url = runtime_config().instance_url
    host = urlsplit(instance_url).hostname or "hookline.invalid"
    return json_response(200, user_out(current_user(principal(), host), instance_url))


@router.get(
    "/api/v4/version",
    operation_id="get_version",
    summary="Get the version",
    description="The GitLab release whose behaviour Hookline follows (`HOOKLINE_GITLAB_VERSION`), as deliveries' "
    "`User-Agent` names it.",
    tags=[INSTANCE],
    responses=answers(200, model=VersionOut),
)
def get_version() -> Response[Any]:
    return json_response(200, version_out(runtime_config().gitlab_version))


@router.get(
    "/api/v4/metadata",
    operation_id="get_metadata",
    summary="Get the metadata",
    description="GitLab's instance metadata: the version, no agent server for Kubernetes, not Enterprise Edition.",
    tags=[INSTANCE],
    responses=answers(200, model=MetadataOut),
)
def get_metadata() -> Response[Any]:
    return json_response(200, metadata_out(runtime_config().gitlab_version))
