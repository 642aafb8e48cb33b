"""Command lines in a guide's shell blocks: the options of `vault-access-operator` commands and the keys of
`helm --set`."""

from __future__ import annotations

import re
import shlex

from tests.docs import known
from tests.docs.markdown import Block, Problem
from tests.docs.paths import MISSING, value_at

SHELLS = {"bash", "sh", "shell", "console", ""}



def check_commands(block: Block) -> list[Problem]:
    problems = []
    for offset, line in _joined_lines(block.text):
        words = _words(line)
        for index, word in enumerate(words):
            is_ours = word == "vault-access-operator" or word.endswith("bin/vault-access-operator")
            if is_ours and index + 1 < len(words):
                problems += _check_our_command(block, offset, words[index + 1:])
            if word == "--set" and index + 1 < len(words) and words[0].endswith("helm"):
                key = words[index + 1].split("=", 1)[0]
                if value_at(key) is MISSING:
                    problems.append(Problem(block.doc, block.line + offset, f"--set {key}",
                                            "not a key of charts/vault-access-operator/values.yaml"))
    return problems


def _check_our_command(block: Block, offset: int, args: list[str]) -> list[Problem]:
    flags = known.cli_flags()
    if not args or args[0] not in flags:
        return []  # a path such as charts/vault-access-operator, or prose
    problems = []
    for arg in args[1:]:
        if arg in ("|", ">", "&&", ";") or arg.startswith("#"):
            break
        flag = arg.split("=", 1)[0]
        if flag.startswith("-") and flag not in flags[args[0]]:
            problems.append(Problem(block.doc, block.line + offset, flag,
                                    f"not an option of `vault-access-operator {args[0]}` (core/cli.py)"))
    return problems


def _joined_lines(text: str) -> list[tuple[int, str]]:
    """(offset of its first line, the command) with backslash continuations joined; a "$ " prompt dropped."""
    out: list[tuple[int, str]] = []
    carry, start = "", 0
    for offset, raw in enumerate(text.splitlines()):
        line = raw
        if not carry:
            start, line = offset, re.sub(r"^\$ ", "", raw)
        if line.rstrip().endswith("\\"):
            carry += line.rstrip()[:-1] + " "
            continue
        out.append((start, carry + line))
        carry = ""
    if carry:
        out.append((start, carry))
    return out


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()
