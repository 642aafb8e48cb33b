"""Outcomes every access kind reaches the same way: waiting for its connection, and drift found in Vault."""

from __future__ import annotations

from typing import Any

from ..connection_handle import ConnectionHandle
from ..errors import Reason
from .outcome import ALLOW_DESTRUCTIVE, ConditionValue, Outcome, flag


def waiting_for_connection(phase: str | None, handle: ConnectionHandle | None, ref: str, then: str) -> Outcome:
    """The connection is missing or not Active: say so (``then`` ends the message: what happens once it is)."""
    if handle is None:
        reason = "ConnectionNotFound"
        text = f"VaultConnection {ref} (spec.connectionRef) does not exist or is not served by this operator"
    else:
        reason, text = "ConnectionNotReady", handle.not_ready().message
    text += f"; {then} as soon as it is Active"
    outcome = Outcome(phase or "Pending", (False, reason, text), "wait",
                      conditions={"ConnectionReady": (False, reason, text)}, event=("Warning", reason, text))
    # A connection still at its first login (a start, or objects applied with their connection): a new object
    # waits for it silently (the controller holds it, within its grace) instead of reporting this and "synced" a
    # moment later; a failed login, a missing connection or an object already showing a status reports at once.
    outcome.hold = handle is not None and handle.phase == "Pending" and handle.reason == Reason.PENDING
    return outcome


def drift_outcome(text: str, drift_mode: str, deleted: bool, annotations: dict[str, str],
                  fields: dict[str, Any]) -> Outcome | None:
    """What drift (``text`` says what changed in Vault) means in ``drift_mode``: an Outcome to report, or None
    when the object is to be written again (correct mode, and a destructive overwrite allowed or not needed)."""
    drifted: dict[str, ConditionValue] = {"Drifted": (True, "DriftDetected", text)}
    if drift_mode == "detect":
        return Outcome("Active", (True, "Succeeded", f"{text} (driftMode detect: reported, not corrected)"),
                       "resync", conditions=drifted, fields=fields, event=("Warning", "DriftDetected", text))
    if not deleted and not flag(annotations, ALLOW_DESTRUCTIVE):
        blocked = (f"{text}; correcting it would overwrite that change: set the annotation "
                   f"{ALLOW_DESTRUCTIVE}: \"true\" to allow it")
        return Outcome("Conflict", (False, "DestructiveCorrectionBlocked", blocked), "resync",
                       conditions={"Synced": (False, "DestructiveCorrectionBlocked", blocked), **drifted},
                       fields=fields, event=("Warning", "DestructiveCorrectionBlocked", blocked))
    return None
