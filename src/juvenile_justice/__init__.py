"""juvenile-justice: case tracker for juvenile judicial protection (未成年人司法保护)."""

import os

# Piccolo finds its engine through this module; set it before any table is used so that the
# installed console script works from any directory.
os.environ.setdefault("PICCOLO_CONF", "juvenile_justice.db_conf")

__version__ = "0.1.0"
