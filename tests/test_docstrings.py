"""Every runnable example in a docstring is executed (docs cannot go stale)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import catapultlab

PACKAGES = (
    "catapultlab",
    "catapultlab.theory",
    "catapultlab.sim",
    "catapultlab.validate",
    "catapultlab.reproduce",
)


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.iter_modules(module.__path__, prefix=package + "."):
            if info.name.count(".") == package.count(".") + 1 and not info.ispkg:
                names.append(info.name)
    return sorted(set(names))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(module, name, extraglobs={"np": __import__("numpy")})
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_some_examples_exist() -> None:
    finder = doctest.DocTestFinder(exclude_empty=True)
    count = sum(
        len(t.examples)
        for name in _modules()
        for t in finder.find(importlib.import_module(name), name)
    )
    assert count >= 10
    assert catapultlab.__version__
