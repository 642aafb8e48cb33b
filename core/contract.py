"""The static half of the provider contract: one set of rules for the loader and the test kit.

:func:`validate_provider` looks at a class without instantiating or calling it. The plugin loader
(``registry.py``) refuses a class it finds problems with, and the test kit
(``testing/contract.py``) reports the same problems, with the same words, before it runs the login.
"""

from __future__ import annotations

import inspect
import re

import pydantic

from .provider import AuthProvider

#: A Kubernetes field name under ``spec.auth``: a lowercase letter, then letters and digits (``aws``, ``appRole``).
KEY_PATTERN = re.compile(r"[a-z][a-zA-Z0-9]{0,62}")


def validate_provider(cls: object) -> list[str]:
    """What keeps ``cls`` from being an auth provider the core can use; an empty list when nothing does."""
    if not (isinstance(cls, type) and issubclass(cls, AuthProvider)):
        return [f"{cls!r} is not a subclass of vault_access_operator.plugin.AuthProvider"]
    problems = []
    key = getattr(cls, "key", None)
    if not (isinstance(key, str) and KEY_PATTERN.fullmatch(key)):
        problems.append(
            f"key {key!r} must be a field name under spec.auth: a lowercase letter, then up to 62 letters and "
            "digits (such as 'aws' or 'appRole')"
        )
    model = getattr(cls, "config_model", None)
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        problems.append(f"config_model must be a pydantic BaseModel subclass, got {model!r}")
    timeout = getattr(cls, "login_request_timeout", None)
    if isinstance(timeout, bool) or not (isinstance(timeout, int | float) and timeout > 0):
        problems.append(f"login_request_timeout {timeout!r} must be a positive number of seconds")
    if not inspect.iscoroutinefunction(getattr(cls, "login_request", None)):
        problems.append("login_request must be an async def (the core awaits it)")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        problems.append(f"{cls.__name__} does not implement {', '.join(missing)} (abstract in AuthProvider)")
    return problems
