"""Kernel-local arrays and team scratch in array code: one array per launch with the grid's axes
in front (a batch axis per iteration, or per team for scratch) and the local elements, flattened,
behind; loads and stores are gathers / scatters with each lane's own batch index.

Why flat and with one extra element: every access is one advanced index (batch indices, linear
element index), and lanes a mask turns off store to the extra "trash" element instead of being
merged with `where`, so a masked scatter costs no more than an unmasked one.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import memref
from xdsl.ir import Operation, SSAValue

from .kernel_array_values import Aff, V, dtype_key


@dataclass
class LocalArray:
    """A kernel-local array or a team-scratch view: element count, the grid axes it has per lane."""

    name: str            # the user's name (for errors)
    size: str            # number of elements (text), the trash element is at this index
    dims: list[str]      # the local shape (texts), row-major
    axes: list[int]      # the grid axes it was allocated over (its batch axes with extent > 1)
    batch: list[str]     # batch index arrays (one per grid axis; "0" for axes of extent 1)


class LocalArrayMixin:
    """The local-array and team-scratch lowering of KernelArrayEmitter."""

    def local_alloc(self, op: Operation, sizes: list[SSAValue], what: str) -> None:
        """memref.alloca with a shape, or kokkos.scratch_alloc: a zeroed (batch..., n + 1) array."""
        ty = op.results[0].type
        dyn = iter(self.get(v) for v in sizes)
        dims = []
        for s in ty.get_shape():  # type: ignore[attr-defined]
            if s >= 0:
                dims.append(str(s))
            else:
                d = next(dyn)
                if not d.uniform:
                    self.fail(f"a {what} whose size differs between iterations")
                dims.append(d.text)
        self.shapes_from(*dims)
        key = dtype_key(ty.element_type)  # type: ignore[attr-defined]
        res = op.results[0]
        user = res.name_hint or what.replace(" ", "_")
        size = self.define(" * ".join(f"({d})" for d in dims) or "1", f"{user}_n", Aff({}, None)).text
        dev = "" if self.lib == "jax" else ", device=_dev"
        batch = []
        for d in range(self.rank):
            if d in self.active_axes and not self.extent_one(d):
                shape = ", ".join("-1" if e == d else "1" for e in range(self.rank))
                batch.append(self.define(f"{self.L}.arange(_shape[{d}]{dev}).reshape({shape})", f"_{user}_b{d}").text)
            else:
                batch.append("0")
        arr = self.define(f"{self.L}.zeros(_shape + ({size} + 1,), dtype={self.dt(key)}{dev})", user)
        self.locals[res] = LocalArray(user, size, dims, [d for d in self.active_axes if batch[d] != "0"], batch)
        self.slots[res] = arr
        self.slot_types[res] = key

    def local_index(self, m: SSAValue, vals) -> V:
        """The linear element index of an access (row-major), literal where every index is."""
        la = self.locals[m]
        xs = [self.get(v) for v in vals]
        if len(xs) != len(la.dims):
            self.fail(f"`{la.name}` indexed with {len(xs)} indices, it has {len(la.dims)} dimensions", la.name)
        if all(x.lit is not None for x in xs) and all(d.isdigit() for d in la.dims):
            lin = 0
            for x, d in zip(xs, la.dims):
                lin = lin * int(d) + int(x.lit)
            return V(str(lin), lit=lin, aff=Aff({}, lin))
        text = xs[0].text
        aff = xs[0].aff
        for x, d in zip(xs[1:], la.dims[1:]):
            text = f"({text}) * ({d}) + ({x.text})"
            aff = _aff_lin(aff, d, x.aff)
        return self.define(text, "_li", aff) if len(xs) > 1 else V(text, aff=aff)

    def deeper_axes(self, m: SSAValue) -> list[int]:
        """Grid axes active now that the array has no batch axis for (a nested range below its allocation)."""
        la = self.locals[m]
        return [d for d in self.active_axes if d not in la.axes and not self.extent_one(d)]

    def local_load(self, op: memref.LoadOp) -> None:
        m = op.memref
        arr, la = self.slots[m].text, self.locals[m]
        lin = self.local_index(m, op.indices)
        if lin.lit is not None:
            text = f"{arr}[..., {lin.lit}]"
            if self.lib == "torch":
                text += ".clone()"  # a basic index is a view: keep the value from later in-place stores
        else:
            idx = lin.text if self.lib == "jax" else f"{self.as_array(lin, 'int64')}.clamp(0, {la.size})"
            # one gather from the flat array with the row-major linear index (batch..., element):
            # cheaper than an advanced index per axis (see KernelArrayEmitter.flat_gather)
            flat = "0"
            for d, b in enumerate(la.batch):
                flat = b if flat == "0" else f"({flat}) * {arr}.shape[{d}] + {b}" if b != "0" else \
                    f"({flat}) * {arr}.shape[{d}]"
            flat = idx if flat == "0" else f"({flat}) * {arr}.shape[-1] + {idx}"
            if self.lib == "jax":
                text = f"{arr}.reshape(-1)[{flat}]"
            else:
                self.helpers.add("_torch_flat")
                text = f"_torch_flat({arr})[{flat}]"
        self.env[op.res] = self.define(text, op.res.name_hint or f"{la.name}_v")

    def local_store(self, op: memref.StoreOp) -> None:
        m, val = op.memref, self.get(op.value)
        arr, la, key = self.slots[m].text, self.locals[m], self.slot_types[m]
        lin = self.local_index(m, op.indices)
        deeper = self.deeper_axes(m)
        for d in deeper:  # the array has one element per team here: each thread must store its own
            if lin.aff is None or not lin.aff.coeffs.get(d):
                self.fail(f"threads of a nested range store to one element of `{la.name}` (a race), or hpcir cannot "
                          "prove that they do not (the index is not the nested range's index times a constant "
                          "plus a constant)", la.name,
                          hint=f"index `{la.name}` with the nested range's index, or store from a single(...) block")
        if lin.lit is not None and not deeper:
            sub = f"[..., {lin.lit}]"
            v = val if self.mask is None else V(self.where(self.mask, val, V(f"{arr}{sub}"), key))
            if self.lib == "jax":
                self.slots[m] = self.define(f"{arr}.at{sub}.set({v.text})", la.name)
            else:
                self.emit(f"{arr}{sub} = {v.text}")
            return
        B = f"{self.L}.broadcast_to"
        if (len(deeper) == 1 and self.mask is None and lin.aff is not None and lin.aff.coeffs == {deeper[0]: 1}
                and lin.aff.offset is not None):
            # s[j + c] in a nested range over j: the range's lanes are one contiguous run of elements,
            # so the store is a slice (the range's axis moved behind the team axes), not a scatter
            d, c = deeper[0], lin.aff.offset
            sh = "" if c == 0 else f" + {c}"
            sub = f"[..., {self.grid_lo[d]}{sh}:{self.grid_hi[d]}{sh}]"
            v = f"{self.L}.moveaxis({B}({self.as_array(val, key)}, _shape), {d}, -1)"
            v = f"jnp.expand_dims({v}, {d})" if self.lib == "jax" else f"{v}.unsqueeze({d})"
            if self.lib == "jax":
                self.slots[m] = self.define(f"{arr}.at{sub}.set({v})", la.name)
            else:
                self.emit(f"{arr}{sub} = {v}")
            return
        idx = self.as_array(lin, "int64")
        if self.mask is not None:  # lanes turned off store to the trash element
            idx = f"{self.L}.where({self.mask}, {idx}, {la.size})"
        zero = "0" if self.lib == "jax" else "torch.zeros((), dtype=torch.int64, device=_dev)"
        parts = [f"{B}({b}, _shape)" if b != "0" else zero for b in la.batch] + [f"{B}({idx}, _shape)"]
        vv = f"{B}({self.as_array(val, key)}, _shape)"
        if self.lib == "jax":
            self.slots[m] = self.define(f"{arr}.at[{', '.join(parts)}].set({vv})", la.name)
        else:
            self.emit(f"{arr}.index_put_(({', '.join(parts)},), {vv})")


def _aff_lin(a: Aff | None, d: str, b: Aff | None) -> Aff | None:
    """Affine form of a * d + b, d a dimension's size (known when it is a literal)."""
    if a is None or b is None or not d.isdigit():
        return None if (a is None or b is None or a.coeffs or b.coeffs) else Aff({}, None)
    n = int(d)
    coeffs = {k: v * n for k, v in a.coeffs.items()}
    for k, v in b.coeffs.items():
        coeffs[k] = coeffs.get(k, 0) + v
    off = None if a.offset is None or b.offset is None else a.offset * n + b.offset
    return Aff({k: v for k, v in coeffs.items() if v}, off)


__all__ = ["LocalArray", "LocalArrayMixin"]
