"""The official SDK's helpers, with our client: structured outputs and the tool runner.

``messages.parse`` sends a pydantic model's JSON schema as ``output_config.format`` and gives
back the validated instance; ``client.beta.messages.tool_runner`` runs the tool-use loop over
``@beta_tool`` functions until the model stops asking. `make demo` runs it on the embedded
emulator, whose deterministic engine (not Claude) answers with schema-valid JSON and calls
each tool the prompt names, one per turn; against real Bedrock it needs AWS credentials.
"""

from pydantic import BaseModel

from claude_bedrock import AnthropicBedrock, beta_tool

client = AnthropicBedrock(aws_region="us-west-2")
MODEL = "global.anthropic.claude-sonnet-5-5"


class Invoice(BaseModel):
    customer: str
    total_eur: float
    paid: bool


parsed = client.messages.parse(
    model=MODEL,
    max_tokens=512,
    messages=[{"role": "user", "content": "ACME owes 1,200 EUR, not paid yet."}],
    output_format=Invoice,
)
print("parsed:", repr(parsed.parsed_output))


@beta_tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city's name.
    """
    return f"Sunny, 21 °C in {city}"


@beta_tool
def get_time(zone: str = "UTC") -> str:
    """The time in a time zone.

    Args:
        zone: An IANA time zone name.
    """
    return f"12:00 in {zone}"


runner = client.beta.messages.tool_runner(
    model=MODEL,
    max_tokens=512,
    tools=[get_weather, get_time],
    messages=[{"role": "user", "content": "Use get_weather for Paris, then get_time."}],
)
for message in runner:
    used = [block.name for block in message.content if block.type == "tool_use"]
    print(f"turn: stop_reason={message.stop_reason} tools={used}")
print("final:", runner.until_done().content[0].text[:120])
