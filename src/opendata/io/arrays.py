"""Arrow arrays as numpy arrays without pyarrow's conversion to pandas, which imports pandas.

`Array.to_numpy` runs pyarrow's pandas writer, and that imports pandas the first time (0.25-0.3
s of CPU, measured), even for a boolean mask. The structural checks turn masks and codes into
numpy arrays all the time; `to_numpy` here reads the values buffer directly when the array has
no nulls and a fixed-width type, and leaves everything else to pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def to_numpy(array: pa.Array) -> np.ndarray:
    """What `array.to_numpy(zero_copy_only=False)` gives, read from the buffers where it can be.

    A boolean array comes back as a writable bool array (a copy, as pyarrow makes); a null-free
    integer or floating-point array as a read-only view of its values (as pyarrow's zero-copy).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if array.null_count or not isinstance(array, pa.Array):
        return array.to_numpy(zero_copy_only=False)
    if pa.types.is_boolean(kind):
        return to_numpy(pc.cast(array, pa.uint8())).astype(bool)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        code = (
            "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
        )
        width = kind.bit_width // 8
        data = array.buffers()[1]
        if data is None:  # an empty array may have no buffer
            values = np.empty(0, dtype=f"{code}{width}")
        else:
            values = np.frombuffer(
                data, dtype=f"{code}{width}", count=len(array), offset=array.offset * width
            )
        values.flags.writeable = False  # Arrow's memory: read it, never write it
        return values
    return array.to_numpy(zero_copy_only=False)


def from_numpy(values: np.ndarray) -> pa.Array:
    """What `pa.array(values)` gives for a one-dimensional bool or numeric numpy array.

    `pa.array` first looks whether the array is a numpy masked array, and that imports
    `numpy.ma` (0.015-0.04 s, measured); the buffers are handed to Arrow directly instead.
    """
    import numpy as np
    import pyarrow as pa

    if values.ndim != 1 or values.dtype.kind not in "biuf":
        return pa.array(values)
    if values.dtype.kind == "b":
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    data = np.ascontiguousarray(values)
    kind = pa.from_numpy_dtype(data.dtype)
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])
