"""Automated drafting after incidents close: webhooks, a durable queue, a worker, a watched folder.

Importing this package is cheap; the worker loads drafting and the memory only when a job runs.
"""
