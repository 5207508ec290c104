"""Path parameters shared by the routes."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from app.models import ID_MAX

# Plain ASCII digits, no leading zero: lax int parsing would also take " 1", "+1", "01", "1_0",
# "1.0" and non-ASCII digits, so one task would have many URLs (and caches and logs disagree).
_PLAIN_ID = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def _plain_digits(value: Any) -> Any:
    if isinstance(value, str) and not _PLAIN_ID.fullmatch(value):
        raise PydanticCustomError(
            "int_parsing",
            "Input should be an integer in plain digits (no sign, spaces, separators, "
            "decimal point or leading zeros)",
        )
    return value


# Path first: with the validator before it, FastAPI documents ge/le under their Python names
# instead of minimum/maximum.
TaskId = Annotated[
    int,
    Path(ge=1, le=ID_MAX, description="The task's id"),
    BeforeValidator(_plain_digits),
]
