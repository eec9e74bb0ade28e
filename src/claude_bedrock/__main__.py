"""``python -m claude_bedrock``: the same command line as ``claude-bedrock``."""

from claude_bedrock.cli import main

if __name__ == "__main__":
    main()
