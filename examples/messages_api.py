"""Bedrock's Messages API, both ways in: bedrock-mantle and bedrock-runtime's /anthropic path.

Anthropic's request shape (``model`` in the body), Server-Sent-Events streams and Anthropic's
error envelope; the same typed messages, streams, exceptions and ``message.cost`` as
InvokeModel. `make demo` runs it on the embedded emulator (through
``ANTHROPIC_BEDROCK_MANTLE_BASE_URL`` and ``AWS_ENDPOINT_URL``); against real Bedrock it needs
AWS credentials (or a Bedrock API key in ``AWS_BEARER_TOKEN_BEDROCK``).
"""

from claude_bedrock import AnthropicBedrock, AnthropicBedrockMantle

# bedrock-mantle: what the official SDK's AnthropicBedrockMantle calls; bare model IDs,
# in-Region only (SigV4 signing name "bedrock-mantle", or a Bedrock API key).
mantle = AnthropicBedrockMantle(aws_region="us-east-1")
message = mantle.messages.create(
    model="anthropic.claude-opus-5",
    max_tokens=256,
    messages=[{"role": "user", "content": "Hello from bedrock-mantle"}],
)
print(message.content[0].text)
print(message.cost)

# bedrock-runtime's Messages API (what AWS recommends for new applications): inference
# profiles, streamed as Server-Sent Events.
runtime = AnthropicBedrock(aws_region="us-west-2", api="messages")
with runtime.messages.stream(
    model="global.anthropic.claude-sonnet-5-5",
    max_tokens=256,
    messages=[{"role": "user", "content": "Hello from bedrock-runtime's Messages API"}],
) as stream:
    for text in stream.text_stream:
        print(text, end="", flush=True)
    print()
    print(stream.get_final_message().cost)
