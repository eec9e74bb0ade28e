"""Local Bedrock emulator (work in progress)."""
