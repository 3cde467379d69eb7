"""``hirelens keys new TENANT``: a new API key, shown once, and the SHA-256 the server's config keeps."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("keys", help="make API keys for tenants")
    actions = parser.add_subparsers(dest="action", required=True)
    new = actions.add_parser("new", help="print a new API key and the config entry that accepts it")
    new.add_argument("tenant", help="tenant name, e.g. acme-recruiting")
    new.add_argument("--json", action="store_true", help="print one JSON object")
    new.set_defaults(run=run_new, render=render_new)


def run_new(args: argparse.Namespace) -> dict[str, Any]:
    from pydantic import ValidationError

    from server.config import TenantSettings
    from server.errors import InputError
    from server.jobs.tenants import hash_api_key, new_api_key

    key = new_api_key()
    try:
        tenant = TenantSettings(name=args.tenant, api_key_sha256=[hash_api_key(key)])
    except ValidationError:
        raise InputError(
            f"tenant name '{args.tenant}': use 1 to 64 letters, digits, '.', '_' or '-'"
        ) from None
    return {"tenant": tenant.name, "api_key": key, "api_key_sha256": tenant.api_key_sha256[0]}


def render_new(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"API key for {result['tenant']} (shown once; give it to the tenant, keep it out of logs):",
            f"  {result['api_key']}",
            "Add to the server's config file (only the hash is stored):",
            "  server:",
            "    tenants:",
            f"      - name: {result['tenant']}",
            f"        api_key_sha256: [{result['api_key_sha256']}]",
        ]
    )
