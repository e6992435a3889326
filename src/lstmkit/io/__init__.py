"""Files lstmkit writes and reads, in one place low in the stack: atomic writes and
bounded reads (:mod:`lstmkit.io.files`), and the one output-directory policy of every
command that writes a directory (:mod:`lstmkit.io.output_dirs`)."""

from .files import atomic_file, atomic_write, fsync_dir, read_bounded
from .output_dirs import (
    MARKER,
    OVERWRITE_HINT,
    SIMPLE_NAME_RULE,
    STAGING,
    check_not_protected,
    check_output_dir,
    check_output_file,
    is_lstmkit_dir,
    is_simple_name,
    remove_staged,
    replace_dir,
    staged_output,
    write_marker,
)

__all__ = ["MARKER", "OVERWRITE_HINT", "SIMPLE_NAME_RULE", "STAGING", "atomic_file",
           "atomic_write", "check_not_protected", "check_output_dir", "check_output_file",
           "fsync_dir", "is_lstmkit_dir", "is_simple_name", "read_bounded", "remove_staged",
           "replace_dir", "staged_output", "write_marker"]
