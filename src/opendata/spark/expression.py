"""The declared checks' expression language as Spark SQL columns, with the local evaluator's null rules.

The tree is the one `opendata.semantic.expression` parses and vets (so both engines accept the
same expressions); only the evaluation differs: there pandas Series, here Spark Columns. As
there, a condition that is null counts as false, before `not` is applied.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opendata.semantic.expression import ExpressionError, compiled

if TYPE_CHECKING:
    from pyspark.sql import Column


def condition(source: str, columns: list[str]) -> Column:
    """A boolean column: the expression, null as false; ExpressionError for unknown columns."""
    return truth(value(source, columns))


def value(source: str, columns: list[str]) -> Column:
    """The expression as a column (numbers, text or booleans)."""
    expression = compiled(source)
    missing = expression.columns - set(columns)
    if missing:
        raise ExpressionError(f"unknown column(s): {', '.join(sorted(missing))}")
    return _visit(expression.tree.body)


def truth(c: Any) -> Column:
    """A condition with null as false."""
    from pyspark.sql import functions as F

    if not hasattr(c, "isNull"):
        return F.lit(bool(c) if c is not None else False)
    return F.coalesce(c.cast("boolean"), F.lit(False))


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        v: Any = node.operand.value
        return -v if isinstance(node.op, ast.USub) else v
    assert isinstance(node, ast.Constant)
    return node.value


def _visit(node: ast.AST) -> Any:
    from pyspark.sql import functions as F

    from opendata.spark.structural.table import col

    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):
            return F.lit({"True": True, "False": False, "None": None}[node.id])
        return col(node.id)
    if isinstance(node, ast.Constant):
        return F.lit(node.value)
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.BinOp):
        left, right = _visit(node.left), _visit(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.FloorDiv):
            return F.floor(left / right)
        if isinstance(node.op, ast.Mod):
            return F.pmod(left, right)  # Python's sign rule (the divisor's), not Java's
    if isinstance(node, ast.UnaryOp):
        operand = _visit(node.operand)
        if isinstance(node.op, ast.Not):
            return ~truth(operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BoolOp):
        parts = [truth(_visit(v)) for v in node.values]
        result = parts[0]
        for p in parts[1:]:
            result = (result & p) if isinstance(node.op, ast.And) else (result | p)
        return result
    if isinstance(node, ast.Compare):
        left = _visit(node.left)
        verdict: Any = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _visit(comparator)
            if isinstance(op, ast.In | ast.NotIn):
                part = truth(left.isin(right))
                if isinstance(op, ast.NotIn):
                    part = ~part
            else:
                part = truth(_compare(op, left, right))
            verdict = part if verdict is None else (verdict & part)
            left = right
        return verdict
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        if node.func.id == "col":
            return col(str(_literal(node.args[0])))
        return _call(node.func.id, [_visit(a) for a in node.args], node.args)
    raise ExpressionError(f"{type(node).__name__} is not allowed")


def _compare(op: ast.AST, left: Any, right: Any) -> Column:
    if isinstance(op, ast.Eq):
        return left == right
    if isinstance(op, ast.NotEq):
        return left != right
    if isinstance(op, ast.Lt):
        return left < right
    if isinstance(op, ast.LtE):
        return left <= right
    if isinstance(op, ast.Gt):
        return left > right
    if isinstance(op, ast.GtE):
        return left >= right
    raise ExpressionError(f"operator {type(op).__name__} is not allowed")


def _call(name: str, args: list[Any], nodes: Sequence[ast.AST]) -> Column:
    from pyspark.sql import functions as F

    x: Any = args[0] if args else F.lit(None)

    def number(i: int) -> int:
        return int(_literal(nodes[i]))

    if name == "abs":
        return F.abs(x)
    if name == "round":
        # pandas and Python round half to even; Spark's round goes half up, bround half even.
        return F.bround(x, number(1) if len(args) > 1 else 0)
    if name == "isnull":
        return x.isNull()
    if name == "notnull":
        return x.isNotNull()
    if name == "str":
        return x.cast("string")
    if name == "len":
        return F.char_length(x.cast("string"))
    if name == "startswith":
        return x.cast("string").startswith(str(_literal(nodes[1])))
    if name == "endswith":
        return x.cast("string").endswith(str(_literal(nodes[1])))
    if name == "substr":
        start = number(1)
        text = x.cast("string")
        if len(args) > 2:
            end = number(2)
            if start >= 0 and end >= 0:
                return F.substring(text, start + 1, max(end - start, 0))
            raise ExpressionError("substr() with negative bounds does not run on Spark")
        return (
            F.substring(text, start + 1, 1 << 30)
            if start >= 0
            else F.substring(text, start, -start)
        )
    raise ExpressionError(f"function {name!r} is not allowed")
