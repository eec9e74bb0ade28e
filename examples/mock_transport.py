"""Unit-testing code that calls Claude, with no server at all: ``MockTransport``.

The handler receives each ``httpx.Request`` the client would send (signed, with Bedrock's
URL and body) and returns the ``httpx.Response`` Bedrock would give.
"""

import httpx

from claude_bedrock import AnthropicBedrock, MockTransport


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": "msg_1", "type": "message", "role": "assistant",
        "model": "claude-opus-4-6", "content": [{"type": "text", "text": "hi"}],
        "stop_reason": "end_turn", "usage": {"input_tokens": 3, "output_tokens": 1}})  # fmt: skip


client = AnthropicBedrock(aws_region="us-west-2", api_key="test", transport=MockTransport(answer))
message = client.messages.create(
    model="global.anthropic.claude-opus-4-6-v1",
    max_tokens=16,
    messages=[{"role": "user", "content": "Hello"}],
)
print(message.content[0].text)
