"""The tree walks compare node types with `type(node) is X` instead of isinstance.

That is only the same test while libcst's concrete node classes have no
subclasses, and `walk.py` leaves out fields declared as `str`.
"""

import dataclasses
import inspect

import libcst as cst

from copguard_lint.analysis.guards import _walk_nodes
from copguard_lint.walk import _child_fields, visit_all


def _concrete_node_classes():
    for name in dir(cst):
        value = getattr(cst, name)
        if inspect.isclass(value) and issubclass(value, cst.CSTNode) and not inspect.isabstract(value) \
                and not name.startswith("Base"):
            yield value


def test_concrete_node_classes_are_final():
    # analysis/tracking.py marks places with a `Pass` subclass: no walk tests `type(node) is cst.Pass`.
    subclassed = [cls.__name__ for cls in _concrete_node_classes() if cls.__subclasses__()]
    assert subclassed in ([], ["Pass"])


def test_str_fields_hold_no_nodes():
    for cls in _concrete_node_classes():
        for field in dataclasses.fields(cls):
            if field.type in (str, "str"):
                assert field.name not in _child_fields(cls), (cls.__name__, field.name)


def test_walks_visit_names_in_source_order():
    module = cst.parse_module("def f(a):\n    x = g(a.b, 'c')\n    return [y for y in x]\n")

    class Names:
        def __init__(self):
            self.seen = []

        def visit_Name(self, node):
            self.seen.append(node.value)

    names = Names()
    visit_all(module, [names])
    assert names.seen == ["f", "a", "x", "g", "a", "b", "y", "y", "x"]
    function = module.body[0]
    walked = [n.value for n in _walk_nodes(function) if type(n) is cst.Name]
    assert walked == ["f", "a", "x", "g", "a", "b", "y", "y", "x"]
