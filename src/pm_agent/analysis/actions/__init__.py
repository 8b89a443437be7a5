"""Actions: proposed for one incident from its evidence, and the SMART linter for any action."""
