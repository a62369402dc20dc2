"""Failure alerts and run summaries to a Mattermost incoming webhook."""
