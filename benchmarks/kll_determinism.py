"""Is a DataSketches KLL sketch deterministic for a fixed merge order, and chunk-invariant?

Why the sweep's quantiles use fixed log bins (sim/_cellstats.py) instead. Needs
``pip install datasketches`` (not a dependency). Usage: python benchmarks/kll_determinism.py
"""

import numpy as np
from datasketches import kll_doubles_sketch

x = np.random.default_rng(0).lognormal(0, 2, 1_000_000)
qs = [0.25, 0.5, 0.75]


def build(chunk: int) -> list[float]:
    """Quartiles of a sketch merged from chunks of ``chunk`` values, in order."""
    total = kll_doubles_sketch(200)
    for s in range(0, x.size, chunk):
        part = kll_doubles_sketch(200)
        part.update(x[s : s + chunk])
        total.merge(part)
    return [total.get_quantile(q) for q in qs]


if __name__ == "__main__":
    a1, a2 = build(65536), build(65536)
    b = build(1024)
    print("same chunking twice identical:", a1 == a2, a1, a2)
    print("chunk 65536 vs 1024 identical:", a1 == b, b)
    print("exact:", [float(v) for v in np.quantile(x, qs)])
    print("normalized rank error k=200:", kll_doubles_sketch(200).normalized_rank_error(False))
