//! The process allocator's settings.
//!
//! The binary runs on mimalloc (`main.rs`): glibc's malloc took a fifth of a
//! list request's CPU under load (`just bench-load` with `BENCH_PROFILE=1`).
//! mimalloc's defaults trade memory for speed in a way that shows at idle:
//! arenas are committed up front, and freed pages stay resident until the
//! thread that freed them allocates again (the blocking pool's Argon2
//! buffers, 19 MiB a hash, stayed). Lazy commit and prompt purging keep idle
//! RSS where glibc had it without costing throughput in `just bench-load`.
//!
//! The only `unsafe` in the workspace: mimalloc's options are C calls.
#![allow(unsafe_code)]

use std::ffi::c_long;

use libmimalloc_sys::{mi_option_get, mi_option_set_default, mi_option_t};

/// `mi_option_arena_eager_commit` in mimalloc 3's `mimalloc.h` (the sys crate
/// names only the options common to mimalloc 2 and 3).
const ARENA_EAGER_COMMIT: mi_option_t = 4;
/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h`, in milliseconds.
const PURGE_DELAY: mi_option_t = 15;

/// The settings [`tune`] applies: (option, value).
const SETTINGS: [(mi_option_t, c_long); 2] = [(ARENA_EAGER_COMMIT, 0), (PURGE_DELAY, 0)];

/// Applies [`SETTINGS`] unless the environment (`MIMALLOC_ARENA_EAGER_COMMIT`,
/// `MIMALLOC_PURGE_DELAY`) already chose. Call first thing in `main`.
pub fn tune() {
    for (option, value) in SETTINGS {
        // SAFETY: a store into mimalloc's option table for a valid option
        // index; called before the process starts other threads.
        unsafe { mi_option_set_default(option, value) };
    }
}

/// The current value of each tuned option, in [`SETTINGS`] order.
pub fn current() -> [c_long; 2] {
    // SAFETY: reads mimalloc's option table for valid option indices.
    SETTINGS.map(|(option, _)| unsafe { mi_option_get(option) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_indices_name_the_options_meant() {
        // mimalloc's documented defaults identify the options: eager arena
        // commit "2" (on overcommitting systems) and a 1 s purge delay.
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none()
            && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none()
        {
            assert_eq!(current(), [2, 1_000]);
        }
        tune();
        assert_eq!(current(), [0, 0]);
    }
}
