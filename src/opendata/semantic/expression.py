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


# Limits: an expression past them is refused, naming the limit, instead of exhausting memory,
# recursing without end or overflowing an integer.
MAX_SOURCE = 10_000  # characters of an expression
MAX_NODES = 1_000  # syntax-tree nodes: operators, operands, comparisons in a chain
MAX_DEPTH = 50  # nesting of operations
MAX_INT = 2**53  # integers, literal or computed, exactly representable as floats too
MAX_STRING = 10_000  # characters of a literal or of a text computed from literals
MAX_LIST = 10_000  # items of a literal list


class ExpressionError(ValueError):
    """The expression uses something outside the allowed language, or exceeds its limits."""


@functools.lru_cache(maxsize=4096)
def compiled(source: str) -> Expression:
    """The Expression for a source text; parsed once however many checks repeat it."""
    return Expression(source)


class Expression:
    """A compiled expression: the columns it reads, and a function of a DataFrame."""

    def __init__(self, source: str) -> None:
        self.source = source
        if len(source) > MAX_SOURCE:
            raise ExpressionError(f"expression longer than {MAX_SOURCE} characters")
        try:
            self.tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"syntax error in {_short(source)}: {exc.msg}") from None
        except (RecursionError, MemoryError, ValueError):
            raise ExpressionError(f"expression too deeply nested: {_short(source)}") from None
        _within_limits(self.tree)
        self.columns: set[str] = set()
        self._check(self.tree.body)

    def _check(self, node: ast.AST) -> None:
        """Refuse any node outside the language; note the columns it names.

        Long on purpose: one branch per kind of node the language allows, so the whole grammar
        reads in one place, and anything not listed falls through to the refusal at the end.
        """
        if isinstance(node, ast.Name):
            if node.id not in ("True", "False", "None"):
                self.columns.add(node.id)
            return
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float | str | bool | type(None)):
                raise ExpressionError(f"constant {node.value!r} is not allowed")
            _bounded(node.value)
            return
        if isinstance(node, ast.List | ast.Tuple):
            if len(node.elts) > MAX_LIST:
                raise ExpressionError(f"a list longer than {MAX_LIST} items")
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


def _short(source: str) -> str:
    return repr(source if len(source) <= 80 else source[:77] + "...")


def _within_limits(tree: ast.AST) -> None:
    """Refuse a tree with too many nodes or nested too deep (walked without recursion)."""
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _bounded(value: Any) -> Any:
    """A scalar within the limits (integers within ±2**53, finite numbers, short texts)."""
    import math

    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ExpressionError(f"integer {_short(str(value))} is outside ±2**53")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError("a number that is not finite")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise ExpressionError(f"a text longer than {MAX_STRING} characters")
    return value


def _arithmetic(op: type, left: Any, right: Any) -> Any:
    """A binary operation on numbers (or `+` on texts), its scalar result within the limits."""
    import pandas as pd

    def text(x: Any) -> bool:
        if not isinstance(x, pd.Series):
            return isinstance(x, str)
        if x.dtype == object:
            return pd.api.types.infer_dtype(x, skipna=True) == "string"
        return isinstance(x.dtype, pd.StringDtype)

    if op is not ast.Add and (text(left) or text(right)):
        raise ExpressionError("only `+` applies to texts (no repeating or dividing them)")
    result = _BINARY[op](left, right)
    return result if isinstance(result, pd.Series) else _bounded(result)


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
            return _arithmetic(type(node.op), self.visit(node.left), self.visit(node.right))
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
        digits = _index(args[1]) if len(args) > 1 else 0
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
        start = _index(args[1])
        end = _index(args[2]) if len(args) > 2 else None
        return x.astype("string").str.slice(start, end) if series else str(x)[start:end]
    raise ExpressionError(f"function {name!r} is not allowed")


def _index(value: Any) -> int:
    """A position or a number of digits: an integer within ±2**31."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExpressionError(f"expected an integer, found {_short(str(value))}")
    if abs(value) > 2**31:
        raise ExpressionError(f"integer {value} is outside ±2**31")
    return value
