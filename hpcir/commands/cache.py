"""`hpcir cache info|clean`: show what hpcir's build cache holds, and prune it."""
from __future__ import annotations

import argparse
import time

from hpcir.core import cache
from hpcir.core.units import human_bytes, parse_duration


def _info(args: argparse.Namespace) -> int:
    root, origin = cache.describe_root()
    print(f"hpcir cache: {root}  ({origin})")
    if not root.is_dir():
        print("  (empty: nothing was built yet)")
        return 0
    rows = cache.usage(root)
    width = max([len(r.kind) for r in rows] + [5])
    print(f"  {'kind':<{width}}  {'entries':>7}  {'size':>9}  holds")
    for r in rows:
        print(f"  {r.kind:<{width}}  {r.entries:>7}  {human_bytes(r.bytes):>9}  {r.holds}")
    print(f"  {'total':<{width}}  {sum(r.entries for r in rows if r.kind != 'locks'):>7}  "
          f"{human_bytes(sum(r.bytes for r in rows)):>9}")
    stale = cache.sweep(root, dry_run=True)
    if stale:
        print(f"  leftovers of killed builds: {len(stale)} ({human_bytes(sum(n for _, n in stale))}); "
              "`hpcir cache clean` removes them")
    return 0


def _clean(args: argparse.Namespace) -> int:
    older = parse_duration(args.older_than) if args.older_than else None
    kinds = [k for part in args.kind or [] for k in part.split(",") if k]
    root = cache.describe_root()[0]
    if not root.is_dir():
        print(f"hpcir cache: {root} does not exist; nothing to clean")
        return 0
    start = time.monotonic()
    removed = cache.clean(kinds=kinds or None, older_than_s=older, everything=args.all, dry_run=args.dry_run,
                          root=root)
    verb = "would remove" if args.dry_run else "removed"
    for path, size, why in removed:
        if args.verbose or args.dry_run:
            print(f"  {verb} {path} ({human_bytes(size)}): {why}")
    total = sum(size for _, size, _ in removed)
    print(f"hpcir cache: {verb} {len(removed)} item{'s' * (len(removed) != 1)}, {human_bytes(total)} "
          f"from {root} in {time.monotonic() - start:.1f} s")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `hpcir cache info` and `hpcir cache clean`."""
    p = subparsers.add_parser("cache", help="show or prune hpcir's build cache (HPCIR_CACHE_DIR)")
    sub = p.add_subparsers(dest="cache_command", required=True)
    pi = sub.add_parser("info", help="where the cache is, and its entries and size per kind")
    pi.set_defaults(func=_info)
    pc = sub.add_parser(
        "clean", help="prune the cache",
        description="Without options: remove what killed builds left behind, unused lock files and "
                    "entries that are incomplete or fail verification (nothing that works). "
                    "--kind, --older-than and --all remove working entries too; they are rebuilt "
                    "when next needed (a Kokkos install in minutes).")
    pc.add_argument("--all", action="store_true",
                    help="remove every entry (of the --kind given, else of every kind, Kokkos installs included)")
    pc.add_argument("--kind", action="append", metavar="KIND",
                    help=f"only these kinds (repeat or comma-separate): {', '.join(cache.KINDS)}; alone, "
                         "removes all their entries")
    pc.add_argument("--older-than", metavar="AGE",
                    help="remove entries not used for AGE (30m, 12h, 7d, 2w); Kokkos installs only with "
                         "--kind kokkos")
    pc.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    pc.add_argument("-v", "--verbose", action="store_true", help="list every removed item")
    pc.set_defaults(func=_clean)
