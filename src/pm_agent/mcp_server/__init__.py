"""pm-agent as an MCP server (the official ``mcp`` SDK 2.x): tools, resources and prompts.

Only this package imports ``mcp``, and only from its modules (``app``, ``tools``, ``http``...):
the package itself imports nothing, so ``pm-agent serve`` can check its options (``binding``)
before paying for the SDK's import, and the other commands never pay for it.
"""
