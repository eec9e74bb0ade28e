"""Options several commands share, declared once as groups.

Typer has no option groups: each command lists every option in its signature, so the
connection options (``--region``, ``--profile``, ``--endpoint-url``...) were repeated in
a dozen signatures. Here a group is a frozen dataclass whose fields are typer options
(``Annotated`` types with defaults), and :func:`option_groups` lets a command take the
group as one parameter::

    @option_groups
    def cancel(batch_id: BatchId, *, where: S3Connection, output: OutputOption = ...):
        ...

Typer sees the group's fields as ordinary options, in the group's place; the command
receives the group built from them.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_type_hints

import typer

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from .._mantle_client import AnthropicBedrockMantle

__all__ = [
    "Connection",
    "EndpointChoice",
    "EndpointOption",
    "S3Connection",
    "build_client",
    "build_mantle_client",
    "option_groups",
]


def option_groups(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with each dataclass-typed parameter spread into that class's fields for
    typer (same names, types, defaults and help), and rebuilt before the call."""
    signature = inspect.signature(command, eval_str=True)
    spread: list[inspect.Parameter] = []
    groups: dict[str, tuple[type[Any], tuple[str, ...]]] = {}
    for parameter in signature.parameters.values():
        group = parameter.annotation
        if not (isinstance(group, type) and dataclasses.is_dataclass(group)):
            spread.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        hints = get_type_hints(group, include_extras=True)
        names = tuple(f.name for f in dataclasses.fields(group))
        groups[parameter.name] = (group, names)
        spread += [
            inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                              annotation=hints[f.name])
            for f in dataclasses.fields(group)
        ]  # fmt: skip

    @functools.wraps(command)
    def run(**options: Any) -> None:
        for name, (group, names) in groups.items():
            options[name] = group(**{field: options.pop(field) for field in names})
        command(**options)

    run.__signature__ = signature.replace(parameters=spread)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in spread}
    return run


# -- the connection -------------------------------------------------------------------------

RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="AWS Region (default: AWS_REGION, the profile's, us-east-1)."),
]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help="AWS profile of ~/.aws (default: AWS_PROFILE).")
]
EndpointUrlOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="Send Bedrock calls here (default: AWS_ENDPOINT_URL, else AWS's endpoint).",
    ),
]
S3EndpointOption = Annotated[
    str | None,
    typer.Option("--s3-endpoint-url", help="S3 endpoint (default: AWS_ENDPOINT_URL_S3)."),
]


class EndpointChoice(StrEnum):
    global_ = "global"
    regional = "regional"

    @property
    def literal(self) -> Literal["global", "regional"]:
        return "global" if self is EndpointChoice.global_ else "regional"


EndpointOption = Annotated[
    EndpointChoice | None,
    typer.Option(
        "--endpoint",
        case_sensitive=False,
        help="global (recommended) or regional (cross-Region inference in your geography; "
        "newer models cost more there: see `claude-bedrock models`). Default: what the "
        "model ID says.",
    ),
]


@dataclass(frozen=True)
class Connection:
    """Where Bedrock is and as whom: ``--region``, ``--profile``, ``--endpoint-url``."""

    region: RegionOption = None
    profile: ProfileOption = None
    endpoint_url: EndpointUrlOption = None


@dataclass(frozen=True)
class S3Connection(Connection):
    """:class:`Connection` plus ``--s3-endpoint-url``, for commands that also read S3."""

    s3_endpoint_url: S3EndpointOption = None


def build_client(
    connection: Connection,
    *,
    endpoint: EndpointChoice | None = None,
    context_1m: bool = False,
) -> AnthropicBedrock:
    """The client a command uses (the control plane at the same endpoint URL)."""
    from .. import AnthropicBedrock

    return AnthropicBedrock(
        aws_region=connection.region,
        aws_profile=connection.profile,
        base_url=connection.endpoint_url,
        control_plane_url=connection.endpoint_url,
        context_1m=context_1m,
        endpoint=endpoint.literal if endpoint is not None else None,
    )


def build_mantle_client(connection: Connection) -> AnthropicBedrockMantle:
    """An ``AnthropicBedrockMantle`` for a command, at the bedrock-mantle base the other
    clients of the command would use: ``ANTHROPIC_BEDROCK_MANTLE_BASE_URL``, else
    ``{--endpoint-url or AWS_ENDPOINT_URL}/anthropic`` when that is not an AWS host (an
    emulator or proxy serving both), else AWS's endpoint for the Region."""
    from .. import AnthropicBedrockMantle
    from .._config import resolve_endpoints, resolve_region

    region = resolve_region(connection.region, connection.profile)
    return AnthropicBedrockMantle(
        aws_region=region,
        aws_profile=connection.profile,
        base_url=resolve_endpoints(region, connection.endpoint_url).mantle,
    )
