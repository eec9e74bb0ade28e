"""The example of Anthropic's guide to Claude on Amazon Bedrock, unchanged but for the import
(https://platform.claude.com/docs/en/build-with-claude/claude-on-amazon-bedrock-legacy).

Against real Bedrock it needs AWS credentials; `make demo` runs it on the embedded
emulator by setting AWS_ENDPOINT_URL and the emulator's example keys in the environment.
"""

from claude_bedrock import AnthropicBedrock

client = AnthropicBedrock(aws_region="us-west-2")
message = client.messages.create(
    model="global.anthropic.claude-opus-4-6-v1:0",
    max_tokens=256,
    messages=[{"role": "user", "content": "Hello, world"}],
)
print(message.content)
