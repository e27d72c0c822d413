"""The fuzz suite's report: inputs run per target, printed after the run (in CI and in
``make fuzz``), beside hypothesis's own statistics when ``--hypothesis-show-statistics`` is on."""

from __future__ import annotations

from typing import Any

from tests.fuzz.support import EXECUTIONS, PROFILE


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not EXECUTIONS:
        return
    terminalreporter.section(f"fuzz inputs per target (profile {PROFILE})")
    total = 0
    for test, (count, seconds) in sorted(EXECUTIONS.items()):
        total += int(count)
        name = test.removeprefix("tests/fuzz/")
        terminalreporter.write_line(
            f"{name:<58} {int(count):>8,} inputs {seconds:>8.1f} s in the target"
        )
    terminalreporter.write_line(f"{'total':<58} {total:>8,} inputs")
