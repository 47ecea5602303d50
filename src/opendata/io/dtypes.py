"""The one Arrow-to-pandas type map, shared by validation and by loading a release."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def pandas_types() -> Callable[[pa.DataType], Any]:
    """A `types_mapper` for `pyarrow.Table.to_pandas`: nullable pandas dtypes, no silent float coercion.

    Integers stay integers when a cell is missing (Int64, not float64), booleans stay booleans,
    and text is pandas's string dtype, whichever width of string Arrow holds.
    """
    import pandas as pd
    import pyarrow as pa

    mapping: dict[pa.DataType, pd.api.extensions.ExtensionDtype] = {
        pa.int64(): pd.Int64Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
        pa.large_string(): pd.StringDtype(),
    }
    return mapping.get
