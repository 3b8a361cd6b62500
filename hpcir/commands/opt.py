"""`hpcir opt FILE.mlir -p PIPELINE`: run hpcir/xDSL/upstream passes on textual IR, like mlir-opt."""
from __future__ import annotations

import argparse
import io
import sys

from hpcir.core.errors import HpcirError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `opt` subcommand."""
    p = subparsers.add_parser("opt", help="run passes on an .mlir file (like mlir-opt)",
                              description="Parse FILE (xDSL/MLIR text, '-' for stdin), run a pass pipeline, "
                              "verify after every pass and print the result.")
    p.add_argument("file", nargs="?", default="-", help="input .mlir file ('-' = stdin)")
    p.add_argument("-p", "--pass-pipeline", default="", help="e.g. 'kokkos-set-target{target=cuda},"
                   "convert-scf-to-kokkos,kokkos-layout,canonicalize,mlir-opt[cse]'")
    p.add_argument("--target", default=None, help="stamp this target on the input first (as kokkos-set-target)")
    p.add_argument("--list-passes", action="store_true", help="list the registered passes and exit")
    p.add_argument("--dump-ir-after-all", action="store_true", help="print the IR after every pass (to stderr)")
    p.add_argument("--print-generic", action="store_true", help="print the result in generic form")
    p.add_argument("--verify-upstream", action="store_true",
                   help="also parse and verify the result with upstream MLIR 22")
    p.add_argument("--allow-unregistered-dialect", action="store_true", help="accept ops of unknown dialects")
    p.add_argument("-o", "--output", default="-", help="output file ('-' = stdout)")
    p.set_defaults(func=run)


def _parse_as_upstream(text: str, xdsl_error: Exception):
    """Second chance for text in upstream MLIR syntax; re-raise xDSL's error when upstream rejects it too."""
    from hpcir.core.errors import IRVerificationError
    from hpcir.dialects.upstream import from_upstream_syntax

    try:
        return from_upstream_syntax(text)
    except IRVerificationError:
        raise xdsl_error from None


def run(args: argparse.Namespace) -> int:
    """Execute `hpcir opt`."""
    from xdsl.parser import Parser
    from xdsl.utils.exceptions import ParseError

    from hpcir.dialects import context
    from hpcir.dialects.upstream import restore_memory_spaces
    from hpcir.pipeline import available_passes, parse_pass_pipeline, pass_summary, print_module, run_pipeline

    if args.list_passes:
        for name in sorted(available_passes()):
            print(f"  {name:36s} {pass_summary(name)}")
        return 0
    if args.target is not None:
        from hpcir.core.targets import get_target
        get_target(args.target)  # fail early with the list of targets
    passes = parse_pass_pipeline(args.pass_pipeline)  # bad pipelines fail before reading input
    if args.file == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            with open(args.file, encoding="utf-8") as f:
                text, name = f.read(), args.file
        except OSError as err:
            raise HpcirError(f"cannot read {args.file}: {err.strerror}") from None
    ctx = context(allow_unregistered=args.allow_unregistered_dialect)
    try:
        try:
            module = Parser(ctx, text, name).parse_module()
            restore_memory_spaces(module)  # `hpcir lower --emit=mlir` prints them as upstream reads them
        except ParseError as err:
            module = _parse_as_upstream(text, err)  # e.g. custom scf.parallel syntax from mlir-opt
        module.verify()
    except ParseError as err:
        raise HpcirError(f"cannot parse {name}:\n{err}") from None
    except Exception as err:  # xDSL VerifyException and DiagnosticException both land here
        raise HpcirError(f"input {name} does not verify: {err}") from None
    run_pipeline(module, passes, dump_after_all=args.dump_ir_after_all, ctx=ctx, target=args.target)
    if args.verify_upstream:
        from hpcir.dialects.upstream import verify_upstream
        verify_upstream(module)
    buf = io.StringIO()
    print_module(module, buf, generic=args.print_generic)
    if args.output == "-":
        sys.stdout.write(buf.getvalue())
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
    return 0
