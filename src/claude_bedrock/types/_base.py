"""The base of every response type: a pydantic model that behaves like the Anthropic SDK's.

Responses keep fields Bedrock adds that we do not know yet (``extra="allow"``): a new
field from Bedrock must never break a user's program, only show up. The same holds for
new content block types (:class:`~.message.UnknownBlock`) and stop reasons (kept as
strings), for ``create()`` answers and streams alike (one parsing path, ``_parse.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pydantic

if TYPE_CHECKING:
    from .message import Cost


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


class _CallFacts(BaseModel):
    """What a typed answer knows about its call besides the body Bedrock sent: the request
    ID and our cost estimate. Private attributes, so never serialised nor compared as data;
    the Messages and the Converse answers share them."""

    _cost: Cost | None = pydantic.PrivateAttr(default=None)
    _request_id: str | None = pydantic.PrivateAttr(default=None)
    _served_by: str | None = pydantic.PrivateAttr(default=None)

    @property
    def cost(self) -> Cost | None:
        """USD cost from the catalogue's prices (None for models the catalogue does not know)."""
        return self._cost

    @property
    def request_id(self) -> str | None:
        """Bedrock's ``x-amzn-RequestId`` for this call: quote it to AWS support."""
        return self._request_id

    @property
    def served_by(self) -> str | None:
        """The model ID or profile that answered, when the call had ``fallbacks``: the
        requested model, or the fallback that served it after a capacity or throttling
        error (its ``cost`` is that model's). None for a call without fallbacks."""
        return self._served_by
