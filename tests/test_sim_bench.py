"""The whole-sweep benchmark measures the sweep process itself."""

import numpy as np

from catapultlab.sim._bench import _sweep_process


def test_sweep_process_peak_rss_is_the_childs_own():
    """A child's ``ru_maxrss`` (``wait4``) inherits the parent's high-water mark across
    ``fork`` + ``exec``; the bench reads the child's own ``VmHWM`` instead."""
    ballast = np.ones(60_000_000)  # 480 MB resident in this process
    args = ["sweep", "uv", "--c", "3.0", "--n", "100", "--ensemble", "64", "--steps", "50"]
    wall, rss = _sweep_process(args)
    assert ballast.sum() == ballast.size
    assert wall > 0
    assert 20 * 2**20 < rss < 400 * 2**20  # a small sweep: far below the ballast
