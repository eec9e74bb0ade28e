"""The official SDK's ``anthropic.types.beta`` names, for code that annotates with them.

``client.beta.messages`` returns the same classes as ``client.messages`` (one set of types
for every surface and resource), so each ``Beta...`` name here is the class of the same
name without the prefix: ``from claude_bedrock.types.beta import BetaMessage`` works where
``from anthropic.types.beta import BetaMessage`` did, and ``isinstance`` checks against
either name agree.
"""

from .count_tokens import MessageTokensCount as BetaMessageTokensCount
from .message import ContentBlock as BetaContentBlock
from .message import Message as BetaMessage
from .message import RedactedThinkingBlock as BetaRedactedThinkingBlock
from .message import ServerToolUseBlock as BetaServerToolUseBlock
from .message import StopReason as BetaStopReason
from .message import TextBlock as BetaTextBlock
from .message import ThinkingBlock as BetaThinkingBlock
from .message import ToolUseBlock as BetaToolUseBlock
from .message import Usage as BetaUsage
from .stream_events import MessageDeltaUsage as BetaMessageDeltaUsage
from .stream_events import RawContentBlockDelta as BetaRawContentBlockDelta
from .stream_events import RawContentBlockDeltaEvent as BetaRawContentBlockDeltaEvent
from .stream_events import RawContentBlockStartEvent as BetaRawContentBlockStartEvent
from .stream_events import RawContentBlockStopEvent as BetaRawContentBlockStopEvent
from .stream_events import RawMessageDeltaEvent as BetaRawMessageDeltaEvent
from .stream_events import RawMessageStartEvent as BetaRawMessageStartEvent
from .stream_events import RawMessageStopEvent as BetaRawMessageStopEvent
from .stream_events import RawMessageStreamEvent as BetaRawMessageStreamEvent

__all__ = [
    "BetaContentBlock",
    "BetaMessage",
    "BetaMessageDeltaUsage",
    "BetaMessageTokensCount",
    "BetaRawContentBlockDelta",
    "BetaRawContentBlockDeltaEvent",
    "BetaRawContentBlockStartEvent",
    "BetaRawContentBlockStopEvent",
    "BetaRawMessageDeltaEvent",
    "BetaRawMessageStartEvent",
    "BetaRawMessageStopEvent",
    "BetaRawMessageStreamEvent",
    "BetaRedactedThinkingBlock",
    "BetaServerToolUseBlock",
    "BetaStopReason",
    "BetaTextBlock",
    "BetaThinkingBlock",
    "BetaToolUseBlock",
    "BetaUsage",
]
