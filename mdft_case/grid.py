"""The periodic 3-D grid: node coordinates, cell volume and FFT wave vectors."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A periodic box of lengths `box` (Å) sampled at `nodes` points; node i sits at i * box/nodes."""

    box: tuple[float, float, float]
    nodes: tuple[int, int, int]

    def __post_init__(self) -> None:
        if len(self.box) != 3 or len(self.nodes) != 3 or min(self.nodes) < 2 or min(self.box) <= 0:
            raise ValueError(f"grid needs 3 positive box lengths and 3 node counts >= 2, got {self.box}, {self.nodes}")

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.nodes)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def spacing(self) -> np.ndarray:
        return np.asarray(self.box, float) / np.asarray(self.nodes)

    @property
    def dv(self) -> float:
        """Volume of one grid cell (Å^3)."""
        return float(np.prod(self.spacing))

    @property
    def centre(self) -> np.ndarray:
        return 0.5 * np.asarray(self.box, float)

    def axes(self) -> list[np.ndarray]:
        """Node coordinates along x, y, z."""
        return [np.arange(n) * h for n, h in zip(self.shape, self.spacing)]

    def min_image(self, point: np.ndarray) -> np.ndarray:
        """Minimum-image displacement r - point for every node, shape (3, nx, ny, nz)."""
        out = []
        for d, (ax, length) in enumerate(zip(self.axes(), self.box)):
            delta = ax - point[d]
            delta -= length * np.round(delta / length)
            shape = [1, 1, 1]
            shape[d] = -1
            out.append(np.broadcast_to(delta.reshape(shape), self.shape))
        return np.stack(out)

    @cached_property
    def kvectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Full-FFT wave vectors (Å^-1), each broadcastable to the grid shape."""
        ks = [2.0 * np.pi * np.fft.fftfreq(n, d=h) for n, h in zip(self.shape, self.spacing)]
        return (ks[0][:, None, None], ks[1][None, :, None], ks[2][None, None, :])

    @cached_property
    def kvectors_half(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Real-FFT (rfftn) wave vectors, the last axis halved."""
        n, h = self.shape, self.spacing
        kx = 2.0 * np.pi * np.fft.fftfreq(n[0], d=h[0])
        ky = 2.0 * np.pi * np.fft.fftfreq(n[1], d=h[1])
        kz = 2.0 * np.pi * np.fft.rfftfreq(n[2], d=h[2])
        return (kx[:, None, None], ky[None, :, None], kz[None, None, :])

    def knorm(self, half: bool = False) -> np.ndarray:
        """|k| on the full (or rfftn) wave-vector grid."""
        kx, ky, kz = self.kvectors_half if half else self.kvectors
        return np.sqrt(kx * kx + ky * ky + kz * kz)
