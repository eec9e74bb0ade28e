"""``beta_tool`` / ``beta_async_tool``: typed Python functions as Claude tools, as the
official SDK 2.16 makes them (``anthropic.lib.tools``).

The tool's ``name`` is the function's, its ``description`` the docstring's text before the
argument sections, and its ``input_schema`` the JSON schema pydantic derives from the
signature (each argument's docstring line becomes its ``description``). Calling the tool
validates the model's input against the signature first (``pydantic.validate_call``), so a
wrong input is a clear error the tool runner hands back to the model (``is_error``) rather
than a crash inside the function. Raise :class:`ToolError` from a tool to choose the
content of that error result yourself.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import cached_property
from typing import Any, Generic, TypeVar, overload

import pydantic
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

__all__ = [
    "BetaAsyncFunctionTool",
    "BetaFunctionTool",
    "ToolError",
    "beta_async_tool",
    "beta_tool",
]

#: What a tool returns: text, or content blocks (text, image, document...).
ToolResult = str | Iterable[Mapping[str, Any]]
CallableT = TypeVar("CallableT", bound=Callable[..., Any])
FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])
AsyncFunctionT = TypeVar("AsyncFunctionT", bound=Callable[..., Awaitable[Any]])

#: The tool definition's optional fields the decorators take (sent when not None).
_DEFINITION_OPTIONS = frozenset({
    "defer_loading", "cache_control", "allowed_callers", "eager_input_streaming",
    "input_examples", "strict",
})  # fmt: skip
_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns?|Raises|"
    r"Yields?|Examples?|Notes?|Attributes|See Also|Warnings?|Todo)\s*:\s*$|^\s*:\w+"
)
_ARG_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments)\s*:\s*$"
)
_GOOGLE_ARG = re.compile(r"^(\s*)\*{0,2}(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_REST_ARG = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


class ToolError(Exception):
    """Raise from a tool to send ``content`` back as an ``is_error`` tool result (instead of
    the exception's ``repr``)."""

    def __init__(self, content: ToolResult) -> None:
        if isinstance(content, str):
            message = content
        else:
            content = list(content)
            parts = [
                str(b["text"]) if b.get("text") is not None else f"[{b.get('type', 'unknown')}]"
                for b in content
            ]
            message = " ".join(parts) if parts else "Tool error"
        super().__init__(message)
        self.content = content


def _docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """A Google- or reST-style docstring's description and argument descriptions.

    The description is the first line, then (after a blank line) the rest of the text
    before the first section, as the SDK's docstring parser gives them.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    cut = next((i for i, line in enumerate(lines) if _SECTION.match(line)), len(lines))
    text = "\n".join(lines[:cut]).strip()
    first, _, rest = text.partition("\n")
    description = first + (f"\n\n{rest.strip()}" if rest.strip() else "")
    params: dict[str, str] = {}
    in_args, indent, current = False, 0, None
    for line in lines[cut:]:
        rest_match = _REST_ARG.match(line)
        if rest_match:
            current, in_args = rest_match.group(1), False
            params[current] = rest_match.group(2).strip()
            continue
        if _ARG_SECTION.match(line):
            in_args, indent, current = True, -1, None
            continue
        if _SECTION.match(line):
            in_args, current = False, None
            continue
        match = _GOOGLE_ARG.match(line) if in_args else None
        if match and (indent < 0 or len(match.group(1)) <= indent):
            indent, current = len(match.group(1)), match.group(2)
            params[current] = match.group(4).strip()
        elif current is not None and line.strip():
            params[current] = f"{params[current]}\n{line.strip()}".strip()
    return description, params


class _ArgumentSchema(GenerateJsonSchema):
    """Pydantic's schema of a signature, with each argument's docstring description."""

    descriptions: dict[str, str] = {}

    def kw_arguments_schema(self, arguments: Any, var_kwargs_schema: Any) -> JsonSchemaValue:
        schema = super().kw_arguments_schema(arguments, var_kwargs_schema)
        properties = schema.get("properties") if schema.get("type") == "object" else None
        if isinstance(properties, dict):
            for name, description in self.descriptions.items():
                prop = properties.get(name)
                if isinstance(prop, dict) and description and "description" not in prop:
                    prop["description"] = description
        return schema


class _FunctionTool(Generic[CallableT]):
    """A function and its tool definition (``to_dict()``)."""

    #: The entered context manager of a ``@contextmanager`` tool (None otherwise).
    _context_manager: object | None = None

    def __init__(
        self,
        func: CallableT,
        *,
        name: str | None = None,
        description: str | None = None,
        input_schema: Mapping[str, Any] | type[pydantic.BaseModel] | None = None,
        **options: Any,
    ) -> None:
        self.func = func
        self._validated = pydantic.validate_call(func)
        self.name: str = name or func.__name__
        doc_description, self._arg_descriptions = _docstring(func.__doc__)
        self.description: str = description or doc_description
        unknown = options.keys() - _DEFINITION_OPTIONS
        if unknown:
            raise TypeError(
                f"beta_tool: unexpected keyword argument(s): {', '.join(sorted(unknown))}"
            )
        self._options = {k: v for k, v in options.items() if v is not None}
        if isinstance(input_schema, type):
            self.input_schema: dict[str, Any] = input_schema.model_json_schema()
        elif input_schema is not None:
            self.input_schema = dict(input_schema)
        else:
            self.input_schema = self._schema_from_signature()

    @property
    def __call__(self) -> CallableT:
        """The function itself (a tool stays callable as the function was)."""
        return self.func

    def to_dict(self) -> dict[str, Any]:
        """The tool definition for ``tools=[...]``."""
        definition = {
            "name": self.name, "description": self.description, "input_schema": self.input_schema,
        }  # fmt: skip
        definition.update(self._options)
        return definition

    def _schema_from_signature(self) -> dict[str, Any]:
        generator = type("_Schema", (_ArgumentSchema,), {"descriptions": self._arg_descriptions})
        return self._adapter.json_schema(schema_generator=generator)

    @cached_property
    def _adapter(self) -> pydantic.TypeAdapter[Any]:
        validated: Any = self._validated
        return pydantic.TypeAdapter(validated)

    def _arguments(self, input: object) -> dict[str, Any]:
        if not isinstance(input, dict):
            raise TypeError(f"Input must be a dictionary, got {type(input).__name__}")
        return input


class BetaFunctionTool(_FunctionTool[FunctionT]):
    """A synchronous function as a tool (what :func:`beta_tool` returns)."""

    def call(self, input: object) -> Any:
        """Run the function with the model's input, validated against its signature."""
        if inspect.iscoroutinefunction(self.func):
            raise RuntimeError(
                "Cannot call a coroutine function synchronously. Use `@async_tool` instead."
            )
        arguments = self._arguments(input)
        try:
            return self._validated(**arguments)
        except pydantic.ValidationError as exc:
            raise ValueError(f"Invalid arguments for function {self.name}") from exc


class BetaAsyncFunctionTool(_FunctionTool[AsyncFunctionT]):
    """A coroutine function as a tool (what :func:`beta_async_tool` returns)."""

    async def call(self, input: object) -> Any:
        """Await the function with the model's input, validated against its signature."""
        if not inspect.iscoroutinefunction(self.func):
            raise RuntimeError(
                "Cannot call a synchronous function asynchronously. Use `@tool` instead."
            )
        arguments = self._arguments(input)
        try:
            return await self._validated(**arguments)
        except pydantic.ValidationError as exc:
            raise ValueError(f"Invalid arguments for function {self.name}") from exc


@overload
def beta_tool(func: FunctionT, **options: Any) -> BetaFunctionTool[FunctionT]: ...
@overload
def beta_tool(**options: Any) -> Callable[[FunctionT], BetaFunctionTool[FunctionT]]: ...
def beta_tool(func: Any = None, **options: Any) -> Any:
    """A function as a tool: ``@beta_tool``, ``@beta_tool()`` or ``@beta_tool(name=...)``.

    Options, as the SDK's: ``name``, ``description``, ``input_schema`` (a schema or a
    pydantic model instead of the signature's), and the definition's optional fields
    (``cache_control``, ``strict``, ``defer_loading``, ``allowed_callers``,
    ``eager_input_streaming``, ``input_examples``), sent when given.
    """
    return _make_sync(func, options) if func is not None else lambda fn: _make_sync(fn, options)


def _make_sync(func: Any, options: dict[str, Any]) -> BetaFunctionTool[Any]:
    """A tool of ``func``; a ``@contextmanager`` function is entered now, and the callable
    it yields is the tool (kept entered: the runner does not exit it, as the SDK's
    Messages runner does not)."""
    wrapped = getattr(func, "__wrapped__", None)
    if wrapped is not None and inspect.isasyncgenfunction(wrapped):
        raise TypeError(
            "@beta_tool was applied to an @asynccontextmanager; "
            "use @beta_async_tool for an async context-manager tool"
        )
    if wrapped is None or not inspect.isgeneratorfunction(wrapped):
        return BetaFunctionTool(func, **options)
    manager = func()
    inner = manager.__enter__()
    try:
        tool = BetaFunctionTool(inner, **options)
    except BaseException:
        manager.__exit__(*sys.exc_info())
        raise
    tool._context_manager = manager
    return tool


@overload
def beta_async_tool(
    func: AsyncFunctionT, **options: Any
) -> BetaAsyncFunctionTool[AsyncFunctionT]: ...
@overload
def beta_async_tool(
    **options: Any,
) -> Callable[[AsyncFunctionT], BetaAsyncFunctionTool[AsyncFunctionT]]: ...
def beta_async_tool(func: Any = None, **options: Any) -> Any:
    """A coroutine function as a tool (for :class:`~._runner.AsyncToolRunner`); options as
    :func:`beta_tool`'s."""
    return _make_async(func, options) if func is not None else lambda fn: _make_async(fn, options)


def _make_async(func: Any, options: dict[str, Any]) -> BetaAsyncFunctionTool[Any]:
    wrapped = getattr(func, "__wrapped__", None)
    if wrapped is not None and inspect.isasyncgenfunction(wrapped):
        raise TypeError(
            "claude_bedrock's beta_async_tool does not take an @asynccontextmanager tool yet: "
            "enter it yourself and decorate the coroutine function it yields"
        )
    return BetaAsyncFunctionTool(func, **options)
