# SPDX-License-Identifier: MIT
"""Optional plotting: matplotlib is not a dependency of umm. The experiments in examples/ always
write their data (CSV) and plot it only when matplotlib is there."""
from __future__ import annotations

from typing import Any, Optional

INSTALL_HINT = ("apt-get install python3-matplotlib, or pip install matplotlib "
                "(the package's `plots` extra)")


def pyplot(data_path: str) -> Optional[Any]:
    """matplotlib.pyplot on the Agg backend (no display needed), or None after saying on stdout
    that the plot is skipped, how to get it and where the data is."""
    try:
        import matplotlib
    except ImportError:
        print("plot skipped: matplotlib is not installed (%s); the data is in %s"
              % (INSTALL_HINT, data_path))
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
