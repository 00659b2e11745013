"""A one-line progress bar, with the display-step lines printed above it."""

import sys
import time


class Progress:
    """Shows ``[=====>    ] 2300/5000  1234 it/s  ETA 2s`` on a terminal.

    Where the output is not a terminal (a log file, CI) only the display-step
    lines are printed, so logs stay readable.
    """

    def __init__(self, total, start=0, stream=None, width=30):
        self.total = total
        self.start = start
        self.stream = stream or sys.stdout
        self.width = width
        self.dynamic = self.stream.isatty()
        self.started = time.perf_counter()
        self.current = start

    def update(self, current):
        self.current = current
        if self.dynamic:
            self.stream.write("\r" + self.bar())
            self.stream.flush()

    def print(self, line):
        """Print a line above the bar."""
        if self.dynamic:
            self.stream.write("\r\033[K")
        self.stream.write(line + "\n")
        if self.dynamic:
            self.stream.write(self.bar())
        self.stream.flush()

    def close(self):
        if self.dynamic:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def bar(self):
        done = self.current / self.total if self.total else 1.0
        filled = int(self.width * done)
        arrow = ">" if filled < self.width else ""
        elapsed = time.perf_counter() - self.started
        rate = (self.current - self.start) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.current) / rate if rate > 0 else 0.0
        return (
            f"[{'=' * filled}{arrow}{' ' * (self.width - filled - len(arrow))}] "
            f"{self.current}/{self.total}  {rate:.0f} it/s  ETA {eta:.0f}s"
        )
