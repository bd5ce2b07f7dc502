"""The dynamics bench rows: whole processes and in-process rows over the same workload."""

from __future__ import annotations

import pytest

from catapultlab.sim._bench_dynamics import dynamics_rows, format_dynamics_table


@pytest.mark.slow
def test_dynamics_rows() -> None:
    rows = dynamics_rows(ensemble=50, steps=500)
    methods = [r["method"] for r in rows]
    assert (
        methods[0] == "bifurcation process (whole)" and "sweep --n inf process (whole)" in methods
    )
    for r in rows:
        assert r["seconds"] > 0 and abs(r["rate"] - r["count"] / r["seconds"]) < 1e-9 * r["rate"]
    # the scan inside the process costs less than the whole process
    assert rows[1]["seconds"] < rows[0]["seconds"]
    assert "attractors/s" in format_dynamics_table(rows)
