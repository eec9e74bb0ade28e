"""The base of every response type: a pydantic model that behaves like the Anthropic SDK's.

Responses keep fields Bedrock adds that we do not know yet (``extra="allow"``): a new
field from Bedrock must never break a user's program, only show up. The same holds for
new content block types (:class:`~.message.UnknownBlock`) and stop reasons (kept as
strings), for ``create()`` answers and streams alike (one parsing path, ``_parse.py``).
"""

from __future__ import annotations

from typing import Any, Literal

import pydantic


class BaseModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)

    def to_dict(
        self,
        *,
        mode: Literal["json", "python"] = "python",
        exclude_unset: bool = True,
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        """A plain dict of the fields Bedrock sent (same defaults as the Anthropic SDK)."""
        return self.model_dump(mode=mode, exclude_unset=exclude_unset, exclude_none=exclude_none)

    def to_json(self, *, indent: int | None = 2, exclude_unset: bool = True) -> str:
        """The JSON text of the fields Bedrock sent (same defaults as the Anthropic SDK)."""
        return self.model_dump_json(indent=indent, exclude_unset=exclude_unset)
