"""`python -m llmboard.cli ...`: how `llmboard up` starts its own processes."""

from llmboard.cli import main

if __name__ == "__main__":
    main()
