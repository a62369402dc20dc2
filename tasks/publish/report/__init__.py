"""The metrics report: figures read from the marts, charts, the HTML page and the Mattermost message."""
