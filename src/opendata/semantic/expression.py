"""A small, safe expression language over table columns: parsed with ast, evaluated vectorised, never eval'd."""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FUNCTIONS = (
    "abs",
    "round",
    "isnull",
    "notnull",
    "str",
    "len",
    "startswith",
    "endswith",
    "substr",
    "col",
)
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(ValueError):
    """The expression uses something outside the allowed language."""


@functools.lru_cache(maxsize=4096)
def compiled(source: str) -> Expression:
    """The Expression for a source text; parsed once however many checks repeat it."""
    return Expression(source)


class Expression:
    """A compiled expression: the columns it reads, and a function of a DataFrame."""

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self.tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"syntax error in {source!r}: {exc.msg}") from None
        self.columns: set[str] = set()
        self._check(self.tree.body)

    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if node.id not in ("True", "False", "None"):
                self.columns.add(node.id)
            return
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float | str | bool | type(None)):
                raise ExpressionError(f"constant {node.value!r} is not allowed")
            return
        if isinstance(node, ast.List | ast.Tuple):
            for elt in node.elts:
                if not isinstance(elt, ast.Constant) and not (
                    isinstance(elt, ast.UnaryOp) and isinstance(elt.operand, ast.Constant)
                ):
                    raise ExpressionError("lists may only hold literals")
            return
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check(node.left)
            self._check(node.right)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
            self._check(node.operand)
            return
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self._check(value)
            return
        if isinstance(node, ast.Compare):
            self._check(node.left)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                if type(op) not in _COMPARE and not isinstance(op, ast.In | ast.NotIn):
                    raise ExpressionError(f"operator {type(op).__name__} is not allowed")
                if isinstance(op, ast.In | ast.NotIn) and not isinstance(
                    comp, ast.List | ast.Tuple
                ):
                    raise ExpressionError("`in` needs a literal list on its right")
                self._check(comp)
            return
        if isinstance(node, ast.Call):
            if (
                not isinstance(node.func, ast.Name)
                or node.func.id not in FUNCTIONS
                or node.keywords
            ):
                name = node.func.id if isinstance(node.func, ast.Name) else "that call"
                raise ExpressionError(
                    f"function {name!r} is not allowed (allowed: {', '.join(FUNCTIONS)})"
                )
            if node.func.id == "col":
                if (
                    len(node.args) != 1
                    or not isinstance(node.args[0], ast.Constant)
                    or not isinstance(node.args[0].value, str)
                ):
                    raise ExpressionError('col() takes one column name in quotes, e.g. col("名称")')
                self.columns.add(node.args[0].value)
                return
            for arg in node.args:
                self._check(arg)
            return
        raise ExpressionError(f"{type(node).__name__} is not allowed in expressions")

    def evaluate(self, frame: pd.DataFrame) -> Any:
        """Evaluate on a DataFrame: a boolean Series for row conditions (nulls count as False)."""
        missing = self.columns - set(frame.columns)
        if missing:
            raise ExpressionError(f"unknown column(s): {', '.join(sorted(missing))}")
        return _Evaluator(frame).visit(self.tree.body)


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        value: Any = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    assert isinstance(node, ast.Constant)
    return node.value


class _Evaluator:
    """Walks a checked tree, combining pandas Series."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def visit(self, node: ast.AST) -> Any:
        import pandas as pd

        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            return self.frame[node.id]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.List | ast.Tuple):
            return [_literal(e) for e in node.elts]
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.UnaryOp):
            value = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return ~_truth(value) if isinstance(value, pd.Series) else not value
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BoolOp):
            values = [_truth(self.visit(v)) for v in node.values]
            result = values[0]
            for v in values[1:]:
                result = (result & v) if isinstance(node.op, ast.And) else (result | v)
            return result
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            verdict: Any = True
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self.visit(comp)
                if isinstance(op, ast.In | ast.NotIn):
                    part = left.isin(right) if isinstance(left, pd.Series) else left in right
                    if isinstance(op, ast.NotIn):
                        part = ~part if isinstance(part, pd.Series) else not part
                else:
                    part = _COMPARE[type(op)](left, right)
                verdict = _truth(part) if verdict is True else (verdict & _truth(part))
                left = right
            return verdict
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            if node.func.id == "col":
                return self.frame[_literal(node.args[0])]
            args = [self.visit(a) for a in node.args]
            return _call(node.func.id, args)
        raise ExpressionError(f"{type(node).__name__} is not allowed")


def _truth(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, pd.Series):
        if value.dtype == bool:
            return value
        if pd.api.types.is_bool_dtype(value.dtype):  # nullable or Arrow booleans: null is False
            mask = value.to_numpy(dtype=bool, na_value=False)
            return pd.Series(mask, index=value.index, name=value.name)
        return value.astype("boolean").fillna(False).astype(bool)
    return bool(value) if value is not None else False


def _call(name: str, args: list[Any]) -> Any:
    import pandas as pd

    x: Any = args[0] if args else None
    series = isinstance(x, pd.Series)
    if name == "abs":
        return x.abs() if series else abs(x)
    if name == "round":
        digits = int(args[1]) if len(args) > 1 else 0
        return x.round(digits) if series else round(x, digits)
    if name == "isnull":
        return x.isna() if series else x is None
    if name == "notnull":
        return x.notna() if series else x is not None
    if name == "str":
        return x.astype("string") if series else str(x)
    if name == "len":
        return x.astype("string").str.len() if series else len(x)
    if name == "startswith":
        return x.astype("string").str.startswith(args[1]) if series else str(x).startswith(args[1])
    if name == "endswith":
        return x.astype("string").str.endswith(args[1]) if series else str(x).endswith(args[1])
    if name == "substr":
        start = int(args[1])
        end = int(args[2]) if len(args) > 2 else None
        return x.astype("string").str.slice(start, end) if series else str(x)[start:end]
    raise ExpressionError(f"function {name!r} is not allowed")
