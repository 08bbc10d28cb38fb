"""A service class typed with numpy, Pillow and pandas, for ``FakeService.from_class``
(imported only where the three are installed)."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from PIL import Image


class Shape:
    """Read as ``bentoml.validators.Shape`` is: by its ``dimensions``."""

    dimensions = (2, 2)


class DType:
    """Read as ``bentoml.validators.DType`` is: by its ``dtype``."""

    dtype = "float32"


class Columns:
    """Read as ``bentoml.validators.DataframeSchema`` is: by its ``orient`` and ``columns``."""

    orient = "columns"
    columns = None


class Media:
    def double(self, arr: Annotated[np.ndarray, Shape(), DType()]) -> np.ndarray:
        assert isinstance(arr, np.ndarray), type(arr)
        assert arr.dtype == np.dtype("float32"), arr.dtype
        return arr * 2

    def flip(self, image: Image.Image) -> Image.Image:
        assert isinstance(image, Image.Image), type(image)
        return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)

    def total(self, df: pd.DataFrame) -> Annotated[pd.DataFrame, Columns()]:
        assert isinstance(df, pd.DataFrame), type(df)
        return df.assign(total=df["a"] + df["b"])
