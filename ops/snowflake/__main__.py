"""``python -m ops.snowflake``: see ops.snowflake.cli."""

import sys

from ops.snowflake.cli import main

sys.exit(main())
