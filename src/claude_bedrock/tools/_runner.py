"""The tool runner: ``client.beta.messages.tool_runner(...)``, the official SDK's loop of
"ask Claude, run the tools it calls, send their results back" until it stops calling.

``ToolRunner(messages_resource, params)`` drives ``messages_resource.create(...)`` (or
``parse`` with ``output_format``, or ``stream`` with ``stream=True``), so it runs on any
surface and for ``client.beta.messages`` alike. Iterating it yields each assistant message
(each :class:`~..streaming.MessageStream` with ``stream=True``); after each, the tool calls
in it run and their results are appended, unless the loop body took over the history with
:meth:`ToolRunner.append_messages`. A tool that raises sends its error back to Claude as an
``is_error`` tool result (a :class:`~._functions.ToolError`'s own content, else the
exception's ``repr``), as the SDK does, so one failing tool does not end the run.

The loop's decisions (what to send, how a stop reason ends or continues the run, how a
tool's outcome becomes a ``tool_result``) are one I/O-free core, :class:`_Loop`;
:class:`ToolRunner` and :class:`AsyncToolRunner` only send and call. What the SDK's runner
adds on top is not offered: message threads (every turn sends the whole history, as the
SDK's ``thread=False`` does), compaction, toolsets, ``add_tools`` / ``remove_tools``, and
running tools while a reply streams (``run_tools_eagerly`` is accepted; the tools run once
the reply is read, with the same results).
"""

from __future__ import annotations

import inspect
import logging
import re
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from typing import Any, Final, Literal

from .._placeholders import is_placeholder
from ._functions import ToolError

__all__ = ["AsyncToolRunner", "ToolRunner"]

log = logging.getLogger("claude_bedrock")

Step = Literal["run_tools", "resume", "stop"]
#: What a turn's stop reason means for the loop (the SDK's table); any other reason stops.
STOP_REASON_STEPS: Final[dict[str, Step]] = {
    "tool_use": "run_tools", "pause_turn": "resume", "compaction": "resume",
    "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "stop",
    "model_context_window_exceeded": "stop", "refusal": "stop",
}  # fmt: skip
#: The most of an exception's text an ``is_error`` result carries (the API's field limit).
_FIELD_MAX: Final = 4096
#: Kept by ``set_messages_params`` unless given (the SDK's rule).
_KEPT: Final[tuple[str, ...]] = ("betas", "user_profile_id", "workspace_id")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _well_formed(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def _result_content(content: Any) -> Any:
    """A tool's return value as ``tool_result`` content (text, or blocks; text made
    encodable; ``None`` sends ``content: null``, as the SDK does)."""
    if content is None or isinstance(content, str):
        return None if content is None else _well_formed(content)
    blocks = list(content)
    for index, block in enumerate(blocks):
        if isinstance(block, Mapping) and block.get("type") == "text":
            text = block.get("text")
            if isinstance(text, str) and _well_formed(text) != text:
                blocks[index] = {**block, "text": _well_formed(text)}
    return blocks


def _runnable(tool: object) -> bool:
    return callable(getattr(tool, "call", None)) and callable(getattr(tool, "to_dict", None))


def _as_param(message: Any) -> Any:
    """A reply (or a message param) as the next request's ``messages`` entry."""
    content = getattr(message, "content", None)
    if isinstance(message, Mapping) or content is None:
        return message
    return {"role": message.role, "content": [block.to_dict(mode="json") for block in content]}


def _wrong_flavour(tool: object, sync: bool) -> TypeError:
    """The SDK's error for an async tool in the sync runner, or the reverse."""
    if sync:
        return TypeError(
            f"Received an async tool or toolset ({type(tool).__name__}) in the synchronous "
            "tool_runner. Create the runner from an AsyncAnthropic client (and await its "
            "result), or pass a synchronous tool or toolset here."
        )
    return TypeError(
        f"Received a synchronous tool or toolset ({type(tool).__name__}) in the asynchronous "
        "tool_runner. Create the runner from an Anthropic client, or pass an async tool or "
        "toolset here."
    )


class _Loop:
    """The runner's state and decisions, without I/O."""

    def __init__(self, params: Mapping[str, Any], *, sync: bool = True) -> None:
        self.sync = sync
        params = {k: v for k, v in params.items() if not is_placeholder(v)}
        max_iterations = params.pop("max_iterations", None)
        self.max_iterations: int | None = max_iterations
        self.streaming = bool(params.pop("stream", False))
        # Every turn sends the whole history (the SDK's ``thread=False``); with
        # ``run_tools_eagerly`` the tools still run once the reply is read, not while it
        # streams (the same results, later).
        params.pop("thread", None)
        if params.pop("run_tools_eagerly", False) and not self.streaming:
            raise ValueError("`run_tools_eagerly=True` and `stream=False` are mutually exclusive")
        tools = list(params.pop("tools", None) or [])
        for tool in tools:
            if _runnable(tool) and inspect.iscoroutinefunction(tool.call) == sync:
                raise _wrong_flavour(tool, sync)
        self.tools = {tool.name: tool for tool in tools if _runnable(tool)}
        if tools:
            params["tools"] = [tool.to_dict() if _runnable(tool) else tool for tool in tools]
        params["messages"] = list(params.get("messages") or [])
        self.params = params
        self.iterations = 0
        self.closed = False
        self.last: Any = None
        self.cached: dict[str, Any] | None = None
        self.in_turn = False
        self.modified = False

    def request(self) -> dict[str, Any] | None:
        """The next call's keywords, or None when the run must stop first."""
        if self.closed or (
            self.max_iterations is not None and self.iterations >= self.max_iterations
        ):
            return None
        self.in_turn, self.modified = True, False
        return {**self.params, "messages": list(self.params["messages"])}

    def method(self) -> str:
        if self.streaming:
            return "stream"
        return "parse" if self.params.get("output_format") is not None else "create"

    def end_turn(self, message: Any) -> Step:
        """The turn's reply is in: the history gets it (unless the caller took the
        history over), and the stop reason decides what follows."""
        self.in_turn = False
        self.iterations += 1
        if not self.modified:
            self.params["messages"] = [*self.params["messages"], _as_param(message)]
        return STOP_REASON_STEPS.get(str(message.stop_reason), "stop")

    def calls(self) -> list[tuple[Any, Any]]:
        """The last reply's tool calls, each with the tool that runs it (None: unknown)."""
        content = getattr(self.last, "content", None) or []
        return [
            (self.tools.get(b.name), b) for b in content if getattr(b, "type", None) == "tool_use"
        ]

    def result(self, tool: Any, tool_use: Any, outcome: Any, error: BaseException | None) -> Any:
        """One call's ``tool_result`` block."""
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use.id}
        if tool is None:
            warnings.warn(
                f"Tool '{tool_use.name}' not found in tool runner. Available tools: "
                f"{list(self.tools)}. If using a raw tool definition, handle the tool call "
                "manually and use `append_messages()` to add the result. Otherwise, pass the "
                "tool using `beta_tool(func)` or a `@beta_tool` decorated function.",
                UserWarning,
                stacklevel=5,
            )
            return {
                **block,
                "content": f"Error: Tool '{tool_use.name}' not found",
                "is_error": True,
            }
        if error is None:
            return {**block, "content": _result_content(outcome)}
        if isinstance(error, ToolError):
            return {**block, "content": _result_content(error.content), "is_error": True}
        log.exception("Error occurred while calling tool: %s", tool.name, exc_info=error)
        return {**block, "content": _well_formed(repr(error))[:_FIELD_MAX], "is_error": True}

    def results_message(self, results: list[Any]) -> dict[str, Any] | None:
        self.cached = {"role": "user", "content": results} if results else None
        return self.cached

    def add_results(self, response: dict[str, Any] | None) -> bool:
        """Append the tool results; False when the run ends (no call was answered)."""
        if response is None:
            return False
        if not self.modified:
            self.params["messages"] = [*self.params["messages"], response]
        self.cached = None
        return True

    def set_params(self, params: Any) -> None:
        """New parameters for the next calls; ``betas``, ``user_profile_id`` and
        ``workspace_id`` stay unless given (as the SDK's ``set_messages_params``)."""
        current = dict(self.params)
        new = dict(params(current) if callable(params) else params)
        kept: dict[str, Any] = {k: current[k] for k in _KEPT if k in current}
        runner = {"max_iterations": self.max_iterations, "stream": self.streaming}
        loop = _Loop({**kept, **new, **runner}, sync=self.sync)
        self.tools = {**self.tools, **loop.tools}
        self.params = loop.params
        self.cached = None

    def append(self, messages: tuple[Any, ...]) -> None:
        self.params["messages"] = [*self.params["messages"], *(_as_param(m) for m in messages)]
        self.modified = self.in_turn
        self.cached = None


class _RunnerBase:
    """What both runners share: the public state and history edits."""

    _sync = True

    def __init__(self, messages_resource: Any, params: dict[str, Any]) -> None:
        self._resource = messages_resource
        self._loop = _Loop(params, sync=self._sync)

    def set_messages_params(self, params: Any) -> None:
        """Replace the next calls' parameters (a dict, or a function of the current ones)."""
        self._loop.set_params(params)

    def append_messages(self, *messages: Any) -> None:
        """Add messages to the history. Inside the loop body, the caller then owns this
        turn's history: the runner adds neither the reply nor its tool results."""
        self._loop.append(messages)

    @property
    def max_iterations(self) -> int | None:
        """How many replies the run asks for at most (None: no limit)."""
        return self._loop.max_iterations


class ToolRunner(_RunnerBase):
    """The synchronous runner (``client.beta.messages.tool_runner(...)``).

    ``for message in runner`` yields each reply (a ``MessageStream`` with ``stream=True``);
    :meth:`until_done` runs to the end and returns the last one.
    """

    def __init__(self, messages_resource: Any, params: dict[str, Any]) -> None:
        super().__init__(messages_resource, params)
        self._iterator = self._steps()

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return next(self._iterator)

    def _steps(self) -> Generator[Any, None, None]:
        loop = self._loop
        while (kwargs := loop.request()) is not None:
            method = getattr(self._resource, loop.method())
            if loop.streaming:
                with method(**kwargs) as stream:
                    yield stream
                    loop.last = stream.get_final_message()
            else:
                loop.last = method(**kwargs)
                yield loop.last
            step = loop.end_turn(loop.last)
            if step == "stop":
                break
            if step == "run_tools" and not loop.add_results(self.generate_tool_call_response()):
                break

    def until_done(self) -> Any:
        """Run to the end; the last reply."""
        for _ in self:
            pass
        return self._loop.last

    def generate_tool_call_response(self) -> dict[str, Any] | None:
        """The user message answering the last reply's tool calls (run once, then cached);
        None when it called none."""
        loop = self._loop
        if loop.cached is not None:
            return loop.cached
        results = []
        for tool, tool_use in loop.calls():
            outcome, error = None, None
            if tool is not None:
                try:
                    outcome = tool.call(tool_use.input)
                except Exception as exc:
                    error = exc
            results.append(loop.result(tool, tool_use, outcome, error))
        return loop.results_message(results)

    def close(self) -> None:
        """Stop the run: iterating yields nothing more."""
        self._loop.closed = True
        self._iterator.close()


class AsyncToolRunner(_RunnerBase):
    """The asynchronous runner: ``async for message in runner``, with coroutine-function
    tools (:func:`~._functions.beta_async_tool`) as the SDK's async runner takes."""

    _sync = False

    def __init__(self, messages_resource: Any, params: dict[str, Any]) -> None:
        super().__init__(messages_resource, params)
        self._iterator = self._steps()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        return await self._iterator.__anext__()

    async def _steps(self) -> AsyncGenerator[Any, None]:
        loop = self._loop
        while (kwargs := loop.request()) is not None:
            method = getattr(self._resource, loop.method())
            if loop.streaming:
                async with method(**kwargs) as stream:
                    yield stream
                    loop.last = await stream.get_final_message()
            else:
                loop.last = await method(**kwargs)
                yield loop.last
            step = loop.end_turn(loop.last)
            if step == "stop":
                break
            if step == "run_tools" and not loop.add_results(
                await self.generate_tool_call_response()
            ):
                break

    async def until_done(self) -> Any:
        """Run to the end; the last reply."""
        async for _ in self:
            pass
        return self._loop.last

    async def generate_tool_call_response(self) -> dict[str, Any] | None:
        """Async :meth:`ToolRunner.generate_tool_call_response`."""
        loop = self._loop
        if loop.cached is not None:
            return loop.cached
        results = []
        for tool, tool_use in loop.calls():
            outcome, error = None, None
            if tool is not None:
                try:
                    outcome = await tool.call(tool_use.input)
                except Exception as exc:
                    error = exc
            results.append(loop.result(tool, tool_use, outcome, error))
        return loop.results_message(results)

    async def close(self) -> None:
        """Stop the run: iterating yields nothing more."""
        self._loop.closed = True
        await self._iterator.aclose()


#: The official SDK's names for the same classes.
BetaToolRunner = ToolRunner
BetaAsyncToolRunner = AsyncToolRunner
