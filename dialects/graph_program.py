"""GraphProgram: the L1 program object that graph frontends produce and graph emitters consume."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer

from hpcir.core.errors import IRVerificationError

from hpcir.dialects.graph_types import np_dtype, shape_of


@dataclass
class GraphProgram:
    """One func.func on tensors (L1) plus what the emitters need to call it like the original.

    The function's arguments are the user inputs (`input_names`) followed by the weights
    (`weight_names`, values in `weights`); weights embedded as constants do not appear as
    arguments. `single_output` says whether the original returned one value or a tuple.
    """

    module: ModuleOp
    name: str
    input_names: list[str]
    weight_names: list[str] = field(default_factory=list)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    output_names: list[str] = field(default_factory=list)
    single_output: bool = True
    origin: str = ""  # "jax" or "torch": where the program came from (informational only)
    in_tree: object = None  # JAX pytree structure of the inputs (None: flat arrays)
    out_tree: object = None  # JAX pytree structure of the outputs (None: as single_output says)

    @property
    def func(self) -> func.FuncOp:
        """The program's function."""
        return next(op for op in self.module.ops if isinstance(op, func.FuncOp))

    @property
    def arg_names(self) -> list[str]:
        """Names of all function arguments, inputs first."""
        return self.input_names + self.weight_names

    def input_specs(self) -> list[tuple[tuple[int, ...], np.dtype]]:
        """(shape, dtype) of each user input."""
        args = self.func.body.block.args[:len(self.input_names)]
        return [(shape_of(a.type), np_dtype(a.type.get_element_type())) for a in args]

    def text(self, generic: bool = False) -> str:
        """The module as MLIR text (custom syntax, or generic syntax that upstream MLIR parses)."""
        buf = io.StringIO()
        Printer(stream=buf, print_generic_format=generic).print_op(self.module)
        return buf.getvalue() + "\n"

    def verify(self) -> None:
        """Run the xDSL verifiers; raises IRVerificationError."""
        try:
            self.module.verify()
        except Exception as err:  # xDSL raises VerifyException and sometimes ValueError
            first = "\n".join(str(err).splitlines()[:3])  # the module dump that follows is too long to show
            raise IRVerificationError(f"L1 program {self.name!r} does not verify: {first}") from err

    def __str__(self) -> str:
        return self.text()
