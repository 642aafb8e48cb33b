"""The provider contract: run any auth provider class through what the core relies on.

    from vault_access_operator.testing.contract import check_provider
    check_provider(MyProvider, {"role": "x"})          # AssertionError listing every violation

or, in pytest, ``class TestContract(ProviderContract): provider_class = MyProvider; sample_config = {...}``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
from typing import Any

import pydantic

from ..contract import validate_provider
from ..errors import VaultAccessError
from ..provider import AuthContext, AuthProvider, LoginRequest, SuppliedToken
from .contract_hook import check_entry_point, check_hook
from .contract_model import check_config_model, validate_config
from .recording import RecordingAuthContext
from .sync import run_sync

__all__ = [
    "ContractReport",
    "ProviderContract",
    "check_entry_point",
    "check_provider",
    "check_provider_async",
]

#: The longest the contract waits for login_request (a provider's own timeout may be longer).
MAX_WAIT = 10.0
#: Vault answers the contract feeds to explain_login_error.
SAMPLE_DENIALS = ((400, "invalid role or secret ID"), (403, "permission denied"))


@dataclasses.dataclass
class ContractReport:
    """What one contract run saw; ``failures`` is empty when the provider keeps the contract."""

    provider_class: type
    failures: list[str] = dataclasses.field(default_factory=list)
    provider: AuthProvider[Any] | None = None
    config: pydantic.BaseModel | None = None
    request: LoginRequest | None = None
    supplied: SuppliedToken | None = None  # what login_request returned when it supplies an existing token
    ctx: AuthContext | None = None

    def raise_for_failures(self) -> ContractReport:
        if self.failures:
            items = "\n".join(f"  - {failure}" for failure in self.failures)
            name = getattr(self.provider_class, "__name__", repr(self.provider_class))
            raise AssertionError(f"{name} breaks the auth provider contract:\n{items}")
        return self


def check_provider(
    provider_cls: type, sample_config: dict[str, Any], ctx: AuthContext | None = None, *, plugin: object = None
) -> ContractReport:
    """Run the whole contract; raises AssertionError listing every violation, else returns the report.

    ``ctx`` defaults to a RecordingAuthContext that invents recognisable secrets and tokens;
    ``plugin`` is the module holding the ``vao_auth_providers`` hook (default: the class's module
    or the nearest package above it that has one).
    """
    return run_sync(check_provider_async(provider_cls, sample_config, ctx, plugin=plugin))


async def check_provider_async(
    provider_cls: type, sample_config: dict[str, Any], ctx: AuthContext | None = None, *, plugin: object = None
) -> ContractReport:
    """:func:`check_provider` for code already inside an event loop."""
    report = ContractReport(provider_cls)
    report.failures += validate_provider(provider_cls)  # the operator's loader runs the same check
    if not (isinstance(provider_cls, type) and issubclass(provider_cls, AuthProvider)):
        return report.raise_for_failures()
    key = str(getattr(provider_cls, "key", None))
    timeout = getattr(provider_cls, "login_request_timeout", None)
    is_async = inspect.iscoroutinefunction(getattr(provider_cls, "login_request", None))
    model = getattr(provider_cls, "config_model", None)
    has_model = isinstance(model, type) and issubclass(model, pydantic.BaseModel)
    if has_model:  # else validate_provider said so
        report.failures += check_config_model(model, key, sample_config)
    report.failures += check_hook(provider_cls, key, plugin)
    try:
        report.provider = provider_cls()
    except Exception as error:
        report.failures.append(f"the class must instantiate with no arguments: {type(error).__name__}: {error}")
        return report.raise_for_failures()
    if not (is_async and isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return report.raise_for_failures()  # nothing to call the login with
    try:
        report.config = validate_config(model, key, sample_config)
    except AssertionError as error:
        report.failures.append(str(error))
        return report.raise_for_failures()
    own = RecordingAuthContext(fake_missing=True) if ctx is None else None
    report.ctx = ctx if own is None else own
    try:
        await _check_login(report, min(float(timeout), MAX_WAIT) if isinstance(timeout, int | float) else MAX_WAIT)
    finally:
        if own is not None:
            await own.aclose()
    return report.raise_for_failures()


def _leaks(ctx: AuthContext | None, text: str) -> list[str]:
    return ctx.leaked_in(text) if isinstance(ctx, RecordingAuthContext) else []


async def _check_login(report: ContractReport, wait: float) -> None:
    provider, config, ctx = report.provider, report.config, report.ctx
    assert provider is not None and config is not None and ctx is not None
    try:
        request = await asyncio.wait_for(provider.login_request(config, ctx), wait)
    except TimeoutError:
        report.failures.append(f"login_request did not return within {wait:.1f}s")
        return
    except Exception as error:
        text = f"{type(error).__name__}: {error}"
        for leak in _leaks(ctx, text + repr(error)):
            report.failures.append(f"the exception from login_request contains a secret: {leak}")
        kind = "" if isinstance(error, VaultAccessError) else " (not a VaultAccessError: would be PluginFailed)"
        report.failures.append(f"login_request raised{kind} with the sample config: {_redacted(ctx, text)}")
        return
    if isinstance(request, SuppliedToken):
        _check_supplied(report, request)
        _check_planned_tokens(report)
        return
    if not isinstance(request, LoginRequest):
        report.failures.append(f"login_request returned {type(request).__name__}, not a LoginRequest or SuppliedToken")
        return
    report.request = request
    expected = provider.mount(config)
    if request.mount != expected:
        report.failures.append(f"request.mount {request.mount!r} must be provider.mount(config) = {expected!r}")
    if not request.mount or request.mount != request.mount.strip("/"):
        report.failures.append(f"request.mount {request.mount!r} must be a non-empty path without outer slashes")
    try:
        json.dumps(dict(request.body))
    except (TypeError, ValueError) as error:
        report.failures.append(f"request.body is not JSON-serialisable: {error}")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in dict(request.headers).items()):
        report.failures.append("request.headers must map strings to strings")
    details = dict(request.details)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in details.items()):
        report.failures.append("request.details must map strings to strings (they are shown on status)")
    for where, text in (("request.details", json.dumps(details, default=str)), ("repr(request)", repr(request))):
        report.failures += [f"{where} contains a secret: {leak}" for leak in _leaks(ctx, text)]
    for status, errors in SAMPLE_DENIALS:
        _check_explain(report, request, status, errors)
    _check_planned_tokens(report)


def _check_supplied(report: ContractReport, supplied: SuppliedToken) -> None:
    """A supplied token: a token to look up, a source to name in messages, details to show; no secret shown."""
    report.supplied = supplied
    if not (isinstance(supplied.token, str) and supplied.token.strip()):
        report.failures.append("SuppliedToken.token must be a non-empty string (the Vault token)")
    if not (isinstance(supplied.source, str) and supplied.source.strip()):
        report.failures.append("SuppliedToken.source must say where the token came from (a Secret and key)")
    details = dict(supplied.details)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in details.items()):
        report.failures.append("SuppliedToken.details must map strings to strings (they are shown on status)")
    shown = (("SuppliedToken.source", str(supplied.source)),
             ("SuppliedToken.details", json.dumps(details, default=str)), ("repr(SuppliedToken)", repr(supplied)))
    for where, text in shown:
        report.failures += [f"{where} contains a secret: {leak}" for leak in _leaks(report.ctx, text)]


def _check_planned_tokens(report: ContractReport) -> None:
    """Every TokenRequest the login made is declared by planned_tokens (the trust policy checks those first)."""
    if not isinstance(report.ctx, RecordingAuthContext):
        return
    assert report.provider is not None
    try:
        planned = {(p.namespace, p.name, tuple(p.audiences), int(p.seconds))
                   for p in report.provider.planned_tokens(report.config, report.ctx)}
    except Exception as error:
        report.failures.append(f"planned_tokens raised {type(error).__name__}: {error}")
        return
    for call in report.ctx.token_requests:
        made = (call.namespace, call.name, tuple(call.audiences), int(call.duration_seconds))
        if made not in planned:
            report.failures.append(
                f"login_request requested a token for {made[0]}/{made[1]} (audiences {list(made[2])}, {made[3]}s) "
                "that planned_tokens does not declare: declare it, so that the operator refuses a spec its "
                "trust policy forbids before sending anything to Vault"
            )


def _check_explain(report: ContractReport, request: LoginRequest, status: int, errors: str) -> None:
    assert report.provider is not None
    try:
        text = report.provider.explain_login_error(report.config, request, status, errors)
    except Exception as error:
        report.failures.append(f"explain_login_error raised {type(error).__name__}: {error}")
        return
    if text is not None and not (isinstance(text, str) and text.strip()):
        report.failures.append(f"explain_login_error must return a message or None, got {text!r}")
    elif text:
        leaks = _leaks(report.ctx, text)
        report.failures += [f"explain_login_error's message contains a secret: {leak}" for leak in leaks]


def _redacted(ctx: AuthContext | None, text: str) -> str:
    for value in getattr(ctx, "handed_out", ()):
        text = text.replace(value, "***")
    return text


class ProviderContract:
    """Pytest mixin: ``class TestMyContract(ProviderContract)`` with ``provider_class`` and ``sample_config``."""

    provider_class: type
    sample_config: dict[str, Any]
    plugin: object = None

    def make_context(self) -> AuthContext | None:
        """Override to pass secrets or tokens the provider needs (default: invented ones)."""
        return None

    def test_provider_contract(self) -> None:
        check_provider(self.provider_class, self.sample_config, self.make_context(), plugin=self.plugin)
