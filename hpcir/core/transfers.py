"""The process-wide count of bytes hpcir moves between host and device memory (hpcir.transfer_stats):
what a Python loop over launches on device-resident arrays can be checked against."""
from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class TransferStats:
    """Bytes and copies between host and device memory since the process started (or the last reset)."""

    host_to_device: int = 0
    device_to_host: int = 0
    copies: int = 0

    @property
    def total(self) -> int:
        """Bytes moved in both directions."""
        return self.host_to_device + self.device_to_host

    def __sub__(self, other: "TransferStats") -> "TransferStats":
        return TransferStats(self.host_to_device - other.host_to_device,
                             self.device_to_host - other.device_to_host, self.copies - other.copies)


_LOCK = threading.Lock()
_counts = [0, 0, 0]  # host_to_device, device_to_host, copies


def record(direction: str, nbytes: int) -> None:
    """Count one copy of `nbytes` in `direction` ("host_to_device" or "device_to_host")."""
    slot = {"host_to_device": 0, "device_to_host": 1}[direction]
    with _LOCK:
        _counts[slot] += int(nbytes)
        _counts[2] += 1


def transfer_stats(reset: bool = False) -> TransferStats:
    """The counts now; `reset=True` also sets them back to zero (the returned value is from before)."""
    with _LOCK:
        out = TransferStats(*_counts)
        if reset:
            _counts[:] = [0, 0, 0]
    return out
