"""Vault's aws auth role API (``auth/<mount>/role/<name>``), for role writer round trips.

Vault's aws auth method is not in OpenBao and no Vault binary is available here, so this follows
hashicorp/vault builtin/credential/aws/path_role.go (pathRoleCreateUpdate, ToResponseData) and
sdk/helper/tokenutil line by line for what a role write keeps, refuses and reads back: fields a write
leaves out keep their values; auth_type is fixed at creation; resolve_aws_unique_ids may not go from true
to false and, when true, resolves each ARN without a trailing * to a unique ID (Vault asks IAM; here a
stable fake ID); ec2 binds need auth_type ec2 or an inferred ec2_instance; at least one bind; TTLs as
seconds. ``alias_metadata`` is kept from Vault 1.21 on (``keeps_alias_metadata``). Unknown fields are
ignored, as Vault does.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from vault_access_operator.durations import parse_duration

LISTS = ("bound_ami_id", "bound_account_id", "bound_region", "bound_vpc_id", "bound_subnet_id",
         "bound_iam_role_arn", "bound_iam_instance_profile_arn", "bound_ec2_instance_id")
EC2_BINDS = ("bound_account_id", "bound_ami_id", "bound_iam_instance_profile_arn", "bound_ec2_instance_id",
             "bound_iam_role_arn", "bound_vpc_id", "bound_subnet_id")


class Refused(Exception):
    pass


def _seconds(value: Any) -> int:
    return value if isinstance(value, int) else int(parse_duration(str(value))) if value != "" else 0


def _list(value: Any) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else list(value)


def _new_role() -> dict[str, Any]:
    return {"role_id": str(uuid.uuid4()), "auth_type": "", "resolve_aws_unique_ids": False,
            "bound_iam_principal_arn": [], "bound_iam_principal_id": [], **{k: [] for k in LISTS},
            "inferred_entity_type": "", "inferred_aws_region": "", "token_policies": [], "token_ttl": 0,
            "token_max_ttl": 0, "policies": [], "ttl": 0, "max_ttl": 0, "alias_metadata": {}}


def update_role(role: dict[str, Any] | None, data: dict[str, Any], keeps_alias_metadata: bool) -> dict[str, Any]:
    """pathRoleCreateUpdate: the stored role after ``data`` is written (Refused: Vault's 400 text)."""
    create = role is None
    entry = _new_role() if role is None else json.loads(json.dumps(role))
    for key in LISTS:
        if key in data:
            entry[key] = _list(data[key])
    if "resolve_aws_unique_ids" in data:
        if not create and entry["resolve_aws_unique_ids"] and not data["resolve_aws_unique_ids"]:
            raise Refused("changing resolve_aws_unique_ids from true to false is not allowed")
        entry["resolve_aws_unique_ids"] = bool(data["resolve_aws_unique_ids"])
    elif create:
        entry["resolve_aws_unique_ids"] = True
    if "bound_iam_principal_arn" in data:
        entry["bound_iam_principal_arn"], entry["bound_iam_principal_id"] = _list(data["bound_iam_principal_arn"]), []
    if entry["resolve_aws_unique_ids"] and not entry["bound_iam_principal_id"]:
        entry["bound_iam_principal_id"] = [
            "AROA" + hashlib.sha256(arn.encode()).hexdigest()[:17].upper()
            for arn in entry["bound_iam_principal_arn"] if not arn.endswith("*")
        ]
    for key in ("inferred_entity_type", "inferred_aws_region"):
        if key in data:
            entry[key] = data[key]
    if "auth_type" in data:
        if entry["auth_type"] == "":
            if data["auth_type"] not in ("ec2", "iam"):
                raise Refused(f"unrecognized auth_type: {data['auth_type']}")
            entry["auth_type"] = data["auth_type"]
        elif data["auth_type"] != entry["auth_type"]:
            raise Refused("changing auth_type on a role is not allowed")
    elif create:
        entry["auth_type"] = "iam"
    allow_ec2 = entry["auth_type"] == "ec2"
    if entry["inferred_entity_type"]:
        if entry["auth_type"] != "iam":
            raise Refused("specified inferred_entity_type but didn't allow iam auth_type")
        if entry["inferred_entity_type"] != "ec2_instance":
            raise Refused(f"specified invalid inferred_entity_type: {entry['inferred_entity_type']}")
        if not entry["inferred_aws_region"]:
            raise Refused("specified inferred_entity_type but not inferred_aws_region")
        allow_ec2 = True
    elif entry["inferred_aws_region"]:
        raise Refused("specified inferred_aws_region but not inferred_entity_type")
    binds = 0
    for key in EC2_BINDS:
        if entry[key]:
            if not allow_ec2:
                raise Refused(f"specified {key} but not specifying ec2 auth_type or inferring ec2_instance")
            binds += 1
    if entry["bound_region"]:
        if entry["auth_type"] != "ec2":
            raise Refused("specified bound_region but not specifying ec2 auth_type")
        binds += 1
    if entry["bound_iam_principal_arn"]:
        if entry["auth_type"] != "iam":
            raise Refused("specified bound_iam_principal_arn but not specifying iam auth_type")
        binds += 1
    if binds == 0:
        raise Refused("at least one bound parameter should be specified on the role")
    _token_fields(entry, data)
    if keeps_alias_metadata and "alias_metadata" in data:
        entry["alias_metadata"] = dict(data["alias_metadata"])
    return entry


def _token_fields(entry: dict[str, Any], data: dict[str, Any]) -> None:
    # tokenutil.ParseTokenFields, then UpgradeValue(old, new): the new key wins and clears the old one.
    for new, old, parse in (("token_policies", "policies", _list), ("token_ttl", "ttl", _seconds),
                            ("token_max_ttl", "max_ttl", _seconds)):
        if new in data:
            entry[new] = parse(data[new])
            entry[old] = entry[new] if old in data else type(entry[old])()
        elif old in data:
            entry[old] = entry[new] = parse(data[old])
    if entry["token_ttl"] < 0 or entry["token_max_ttl"] < 0:
        raise Refused("'token_ttl' cannot be negative")
    if entry["token_max_ttl"] and entry["token_ttl"] > entry["token_max_ttl"]:
        raise Refused("'token_ttl' cannot be greater than 'token_max_ttl'")


def response_data(entry: dict[str, Any], keeps_alias_metadata: bool) -> dict[str, Any]:
    """ToResponseData + PopulateTokenData: what a read returns."""
    data = {k: v for k, v in entry.items() if k not in ("policies", "ttl", "max_ttl", "alias_metadata")}
    data.update({"role_tag": "", "allow_instance_migration": False, "disallow_reauthentication": False,
                 "token_bound_cidrs": [], "token_explicit_max_ttl": 0, "token_no_default_policy": False,
                 "token_num_uses": 0, "token_period": 0, "token_type": "default"})
    for legacy in ("policies", "ttl", "max_ttl"):
        if entry[legacy]:
            data[legacy] = entry[legacy]
    if keeps_alias_metadata:
        data["alias_metadata"] = entry["alias_metadata"]
    return data


class AwsRoleAPI:
    """Serves ``/v1/auth/<any mount>/role/<name>`` (GET, PUT/POST, DELETE) for the token ``root``."""

    def __init__(self, server: HTTPServer, *, keeps_alias_metadata: bool = True) -> None:
        self.roles: dict[tuple[str, str], dict[str, Any]] = {}
        self.keeps_alias_metadata = keeps_alias_metadata
        self.url = server.url_for("").rstrip("/")
        server.expect_request(re.compile(r"^/v1/auth/[^/]+/role/[^/]+$")).respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        if request.headers.get("X-Vault-Token") != "root":
            return Response(json.dumps({"errors": ["permission denied"]}), 403, content_type="application/json")
        _, _, _, mount, _, name = request.path.split("/")
        key = (mount, name.lower())
        if request.method == "GET":
            role = self.roles.get(key)
            if role is None:
                return Response(json.dumps({"errors": []}), 404, content_type="application/json")
            body = {"data": response_data(role, self.keeps_alias_metadata)}
            return Response(json.dumps(body), 200, content_type="application/json")
        if request.method == "DELETE":
            self.roles.pop(key, None)
            return Response(status=204)
        try:
            self.roles[key] = update_role(self.roles.get(key), request.get_json(), self.keeps_alias_metadata)
        except Refused as refused:
            return Response(json.dumps({"errors": [str(refused)]}), 400, content_type="application/json")
        return Response(status=204)
