//! The symlink swapper of the sandbox race tests (contract §6.11), shared by the engine's unit
//! test of `sandbox::open` and the integration test through whole flows: `link` in `root` points
//! to `root/in` and to `outside` in turn, replaced atomically (rename), until `stop` is set.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Swaps `root/link` until `stop`; returns how many swaps were made.
pub(crate) fn swap_loop(root: &Path, outside: &Path, stop: &AtomicBool) -> usize {
    let mut swaps = 0;
    while !stop.load(Ordering::Relaxed) {
        let target = if swaps % 2 == 0 {
            root.join("in")
        } else {
            outside.to_path_buf()
        };
        let _ = std::fs::remove_file(root.join("next"));
        symlink(target, root.join("next")).unwrap();
        std::fs::rename(root.join("next"), root.join("link")).unwrap();
        swaps += 1;
    }
    swaps
}
