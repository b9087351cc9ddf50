"""Each policy documents itself: its docstring's examples run, and its Args state the
ranges its declarations check."""

import doctest

import pytest

import lrsched as l
from lrsched import base, params

POLICIES = sorted(base.Schedule._registry.items())


@pytest.mark.parametrize("name, cls", POLICIES, ids=[name for name, _ in POLICIES])
def test_docstring_examples_run(name, cls):
    tests = doctest.DocTestFinder().find(cls, name, globs=dict(vars(l)))
    examples = sum(len(t.examples) for t in tests)
    assert examples >= 2, f"{name} has no example in its docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{name}: {runner.failures} docstring example(s) failed (see the output above)"


@pytest.mark.parametrize("name, cls", POLICIES, ids=[name for name, _ in POLICIES])
def test_docstring_has_formula_args_with_ranges_and_reference(name, cls):
    doc = cls.__doc__
    assert "Reference:" in doc, name
    docs = params.argument_docs(cls)
    for item in params.declared(cls):
        assert item.name in docs, f"{name}: Args lacks {item.name}"
        assert item.param is not None, f"{name}.{item.name} has no declaration"
        assert f"[{item.param.describe()}; " in docs[item.name], (name, item.name, docs[item.name])


def test_no_internal_seed_numbers_in_the_docs():
    import pathlib

    for path in pathlib.Path(l.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "seed 00" not in text.lower(), f"{path.name} names an internal seed write-up"
