"""Incident sources read through their APIs: PagerDuty (REST API v2) and Slack (Web API), read only.

:func:`pm_agent.sources.fetch.fetch_incident` reads one PagerDuty incident, what was recorded during it
and its Slack channel, and merges them through the ingest readers into one incident. Importing this
package loads no HTTP client.
"""
