"""claude_bedrock: Claude on Amazon Bedrock (placeholder, replaced below)."""
