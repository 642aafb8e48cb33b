"""The role writer example of docs/plugins.md (section 10) runs as written: the writer passes the kit and
its payload round-trips through OpenBao's cert auth. A guide whose example breaks fails here."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.tls import TLSMaterial

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def guide_blocks() -> list[str]:
    text = GUIDE.read_text()
    section = text[text.index("## 10. Writing a role writer"):text.index("## Versioning")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_guides_role_writer_example_runs(monkeypatch: pytest.MonkeyPatch, tls_material: TLSMaterial) -> None:
    writer_code, test_code = guide_blocks()
    plugin = types.ModuleType("vao_cert")
    exec(compile(writer_code, "vao_cert", "exec"), plugin.__dict__)
    monkeypatch.setitem(sys.modules, "vao_cert", plugin)
    tests: dict[str, Any] = {"CA_PEM": tls_material.ca_pem}
    exec(compile(test_code, "test_vao_cert", "exec"), tests)
    tests["test_contract"]()
    with OpenBaoServer("dev") as bao:
        tests["test_round_trip"](bao)
