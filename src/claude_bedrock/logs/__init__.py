"""Bedrock model invocation logs: where they live in S3, how they are written, read back and
summed up (usage and cost per model, per day, per endpoint type)."""
