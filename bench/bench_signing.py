"""CPU per SigV4 signature: ours (claude_bedrock.wire.signing) vs botocore's SigV4Auth.add_auth.

Run: ``python bench/bench_signing.py``. The request is a typical Bedrock InvokeModel call:
percent-encoded model ID in the path, ~200-byte JSON body, four headers, a session token.
Our signer is only allowed to exist if it is faster than botocore's (and identical in
output, which tests/test_signing.py checks); this prints the ratio that justifies it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from claude_bedrock.wire.signing import Credentials, SigV4Signer

REGION = "us-east-1"
URL = (
    f"https://bedrock-runtime.{REGION}.amazonaws.com/model/"
    "global.anthropic.claude-opus-4-6-v1%3A0/invoke"
)
BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hello, world. Say something short back."}],
        "temperature": 0.5,
        "system": "You are terse.",
    }
).encode()
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": "claude-bedrock/0.1.0",
    "Content-Length": str(len(BODY)),
}
ACCESS, SECRET, TOKEN = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok"


def _best_us(cases: dict[str, tuple[Callable[[], None], int]], rounds: int = 7) -> dict[str, float]:
    """Best-of-``rounds`` microseconds per call for each case.

    Cases are timed in turn within each round, so a noisy neighbour (other processes on the
    machine) slows all of them alike and the ratios stay meaningful.
    """
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, (func, number) in cases.items():
            best[name] = min(best[name], timeit.timeit(func, number=number) / number * 1e6)
    return best


def _import_ms(code: str) -> float:
    """Best-of-5 time for a fresh interpreter to run ``code`` (measured inside it)."""

    def run(snippet: str) -> float:
        script = f"import time; t=time.perf_counter(); {snippet}; print(time.perf_counter()-t)"
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        return float(out.stdout)

    return min(run(code) for _ in range(5)) * 1e3


def main() -> None:
    signer = SigV4Signer(REGION, "bedrock")
    creds = Credentials(ACCESS, SECRET, TOKEN)
    auth = SigV4Auth(BotoCredentials(ACCESS, SECRET, TOKEN), "bedrock", REGION)
    reused = AWSRequest("POST", URL, HEADERS, BODY)

    def ours() -> None:
        signer.sign("POST", URL, HEADERS, BODY, creds)

    secrets = iter(range(10**9))

    def ours_cold_key() -> None:  # a new secret every call: key derivation never cached
        signer.sign("POST", URL, HEADERS, BODY, Credentials(ACCESS, f"{next(secrets)}", TOKEN))

    def boto_add_auth() -> None:  # add_auth replaces its own previous headers on reuse
        auth.add_auth(reused)

    def boto_with_request() -> None:
        auth.add_auth(AWSRequest("POST", URL, HEADERS, BODY))

    n = 20_000
    best = _best_us(
        {
            "ours": (ours, n),
            "cold": (ours_cold_key, n // 4),
            "boto": (boto_add_auth, n // 4),
            "boto_req": (boto_with_request, n // 4),
        }
    )
    ours_us, cold_us, boto_us, boto_req_us = best.values()
    print(f"request: POST {URL}  body={len(BODY)} B  headers={len(HEADERS)}  session token")
    print(f"ours   SigV4Signer.sign                 {ours_us:7.2f} us/signature")
    print(f"ours   (signing key not cached)         {cold_us:7.2f} us/signature")
    print(f"boto   SigV4Auth.add_auth               {boto_us:7.2f} us/signature")
    print(f"boto   AWSRequest(...) + add_auth       {boto_req_us:7.2f} us/signature")
    print(
        f"ratio  ours / botocore add_auth         {ours_us / boto_us:7.3f}  "
        f"(botocore is {boto_us / ours_us:.1f}x slower)"
    )
    here = Path(__file__).resolve().parents[1] / "src" / "claude_bedrock" / "wire" / "signing.py"
    own = (
        "import importlib.util as u; s=u.spec_from_file_location('signing', "
        f"{str(here)!r}); m=u.module_from_spec(s); import sys; sys.modules['signing']=m; "
        "s.loader.exec_module(m)"
    )
    print(f"import signing.py alone                 {_import_ms(own):7.1f} ms")
    print(
        f"import botocore.auth + awsrequest       "
        f"{_import_ms('import botocore.auth, botocore.awsrequest'):7.1f} ms"
    )


if __name__ == "__main__":
    main()
