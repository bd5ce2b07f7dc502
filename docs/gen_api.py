"""mkdocs hook: the API reference, generated from each layer's public ``__all__``.

One page per layer. Its names are grouped by the private module that defines them
(the layer's ``_WHERE`` table), each group titled by the task it serves; a module
without a title here is titled by the first line of its docstring, so a name added
to ``__all__`` appears without editing the docs. Only public names are shown (no
``_private`` or ``__dunder__`` members), each rendered by mkdocstrings.
"""

from __future__ import annotations

import importlib

from mkdocs.structure.files import File

LAYERS = {
    "theory": "catapultlab.theory",
    "sim": "catapultlab.sim",
    "validate": "catapultlab.validate",
    "reproduce": "catapultlab.reproduce",
    "testing": "catapultlab.testing",
    "phases": "catapultlab.phases",
    "stats": "catapultlab.stats",
    "batches": "catapultlab.batches",
    "io": "catapultlab.io",
    "checks": "catapultlab.checks",
    "cache": "catapultlab.cache",
}

INTRO = {
    "theory": "Declare a model, derive its exact width-n maps and phase boundaries, render "
    "the derivation. A model of your own is a `ModelSpec` (width-n vectors, outputs through "
    "`dot`, labels, data, a `StepRule`); `derive(spec)` turns it into a `Model`: the Gram "
    "lift and closure proof, the projection onto observables, the linear-stability, "
    "loss-rises and growth edges, the width scaling, the catapult time and a content hash.",
    "testing": "Check your own model: the derived map against parameter-space steps, the "
    "kernel against the pure path, invariants and symmetries, and a hypothesis strategy of "
    "realisable states.",
    "sim": "Compile a model's maps into kernels and run ensembles, sweeps and single "
    "trajectories; the phase rule every layer shares.",
    "validate": "Train real networks in JAX, measure their NTK and compare the measured phase "
    "boundaries and a linear network's steps with the theory.",
    "reproduce": "The whole study in one cached run (`catapultlab reproduce`).",
    "phases": "The one phase rule (lazy, catapult, divergent, unresolved) and the stopping "
    "thresholds, shared by the kernel, the pure path, exact GD and the network sweeps.",
    "stats": "Merges, quantiles, bootstrap boundaries, fits, and the one comparison record "
    "with its agreement rule.",
    "batches": "SGD minibatches: one sampling rule from counter-based streams, shared by the "
    "block map and the networks.",
    "io": "Every file the package writes: the atomic writer, the netCDF writer with CF "
    "attributes, the JSON encoder, sealed files.",
    "checks": "The validators every command and API entry runs before any compute.",
    "cache": "The one on-disk cache (models, numeric models, compiled kernels).",
}

# task titles, in page order; modules not listed follow, titled by their docstring
TASKS = {
    "_spec": "Declare a model",
    "_steprule": "Declare a model",
    "_cache": "Derive a model",
    "_derive_model": "Derive a model",
    "_scaling": "Derive a model",
    "_specs": "Declare a model",
    "_algebra": "Declare a model",
    "_derive": "Derive the exact Gram-state map",
    "_model": "Derived models",
    "_numeric": "Numeric models (what sim and validate run)",
    "_numeric_cache": "Numeric models (what sim and validate run)",
    "_builtins": "Declare a model",
    "_predictions": "Predictions beside measurements",
    "_model_cli": "Command-line model selection",
    "_project": "Project onto observables and prove closure",
    "_boundaries": "Phase boundaries of a scalar map",
    "_render": "Render a derivation (text, LaTeX, JSON)",
    "_render_steps": "Render a derivation (text, LaTeX, JSON)",
    "_setup": "Set up a model for simulation",
    "_init": "Initial states",
    "_codegen": "Kernels",
    "_kernel": "Kernels",
    "_ensemble": "Ensembles",
    "_pure": "Reference paths (NumPy map, exact parameter-space GD)",
    "_exact": "Reference paths (NumPy map, exact parameter-space GD)",
    "_sweep": "Sweeps over (c, n)",
    "_sweep_config": "Sweeps over (c, n)",
    "_sweep_json": "Sweeps over (c, n)",
    "_grid": "Sweeps over (c, n)",
    "_runners": "Sweeps over (c, n)",
    "_ysweep": "Sweeps over (c, n)",
    "_trajectory": "Single trajectories",
    "_nets": "Networks",
    "_data": "Data sets",
    "_ntk": "NTK eigenvalues",
    "_train": "Training",
    "_precision": "Training",
    "_linear_map": "A linear network against the exact map",
    "_report": "Results on disk",
    "_figure": "Results on disk",
    "_pipeline": "Run the study",
}


def _defining_module(pkg, name: str) -> str:
    import pkgutil

    obj = getattr(pkg, name)
    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        if vars(mod).get(name) is obj and getattr(obj, "__module__", mod.__name__) == mod.__name__:
            return info.name
    raise LookupError(f"{pkg.__name__}.{name} is defined in none of its modules")


def _groups(package: str) -> list[tuple[str, list[str]]]:
    """``(title, names)`` in task order, from the layer's ``_WHERE`` and ``__all__``."""
    pkg = importlib.import_module(package)
    public = list(pkg.__all__)
    where = getattr(pkg, "_WHERE", None)
    if not hasattr(pkg, "__path__"):  # a single public module (catapultlab.testing, .io, ...)
        title = "Check a model" if package == "catapultlab.testing" else "Contents"
        return [(title, sorted(public, key=str.lower))]
    if where is None:  # an eager package: find the submodule that defines each name
        where = {}
        for name in public:
            where.setdefault(_defining_module(pkg, name), []).append(name)
    titles: dict[str, list[str]] = {}
    order = list(dict.fromkeys(TASKS.values()))
    for module, names in where.items():
        title = TASKS.get(module)
        if title is None:
            doc = importlib.import_module(f"{package}.{module}").__doc__ or module
            title = doc.strip().splitlines()[0].rstrip(".")
            order.append(title)
        titles.setdefault(title, []).extend(n for n in names if n in public)
    return [(t, sorted(titles[t], key=str.lower)) for t in order if titles.get(t)]


def _page(layer: str, package: str) -> str:
    lines = [f"# {package}", "", INTRO[layer], ""]
    for title, names in _groups(package):
        lines += [f"## {title}", ""]
        for name in names:
            lines += [
                f"::: {package}.{name}",
                "    options:",
                "      heading_level: 3",
                "      show_root_full_path: false",
                "",
            ]
    return "\n".join(lines)


def on_files(files, config):  # noqa: D103 - mkdocs hook signature
    for layer, package in LAYERS.items():
        files.append(File.generated(config, f"api/{layer}.md", content=_page(layer, package)))
    return files
