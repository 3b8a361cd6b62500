"""Is a shared library complete? An ELF structure check made before dlopen, so a truncated library is
an error instead of a SIGBUS when the loader touches its missing pages."""
from __future__ import annotations

import struct
import sys
from pathlib import Path


def elf_problem(path: Path) -> str | None:
    """Why `path` is not a complete ELF file (None: it is, or it is not an ELF platform's file).

    Reads the ELF header and the program and section header tables and checks that every segment
    and section lies inside the file: a truncated shared library is refused here instead of
    crashing the process with SIGBUS when the loader touches its missing pages."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF":
                if sys.platform.startswith("linux"):
                    return f"{path} is not an ELF shared library ({size} bytes)"
                return None
            if len(head) < 52:
                return f"{path} is truncated ({size} bytes: not even an ELF header)"
            is64, order = head[4] == 2, "<" if head[5] == 1 else ">"
            if is64:
                if len(head) < 64:
                    return f"{path} is truncated ({size} bytes: not even an ELF header)"
                phoff, shoff = struct.unpack_from(order + "QQ", head, 32)
                phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 54)
            else:
                phoff, shoff = struct.unpack_from(order + "II", head, 28)
                phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 42)
            need = max(phoff + phnum * phentsize, shoff + shnum * shentsize if shoff else 0)
            if need > size:
                return f"{path} is truncated ({size} bytes; its ELF header tables end at byte {need})"
            f.seek(phoff)
            ph = f.read(phnum * phentsize)
            for k in range(phnum):
                if is64:
                    offset, filesz = struct.unpack_from(order + "Q", ph, k * phentsize + 8)[0], \
                        struct.unpack_from(order + "Q", ph, k * phentsize + 32)[0]
                else:
                    offset, filesz = struct.unpack_from(order + "I", ph, k * phentsize + 4)[0], \
                        struct.unpack_from(order + "I", ph, k * phentsize + 16)[0]
                need = max(need, offset + filesz)
            if shoff:
                f.seek(shoff)
                sh = f.read(shnum * shentsize)
                for k in range(shnum):
                    if is64:
                        sh_type = struct.unpack_from(order + "I", sh, k * shentsize + 4)[0]
                        offset, sz = struct.unpack_from(order + "QQ", sh, k * shentsize + 24)
                    else:
                        sh_type = struct.unpack_from(order + "I", sh, k * shentsize + 4)[0]
                        offset, sz = struct.unpack_from(order + "II", sh, k * shentsize + 16)
                    if sh_type != 8:  # SHT_NOBITS occupies no file space
                        need = max(need, offset + sz)
            if need > size:
                return f"{path} is truncated ({size} bytes; its segments and sections end at byte {need})"
    except OSError as err:
        return f"{path} cannot be read: {err.strerror or err}"
    except struct.error:
        return f"{path} is not a well-formed ELF file"
    return None
