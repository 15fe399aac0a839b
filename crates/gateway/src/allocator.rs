//! The process allocator's settings.
//!
//! The binary runs on mimalloc (`main.rs`): glibc's malloc took a fifth of a
//! list request's CPU under load (`just bench-load` with `BENCH_PROFILE=1`).
//! mimalloc's defaults trade memory for speed in a way that shows at idle:
//! arenas are committed eagerly and, with transparent huge pages, touched in
//! 2 MiB steps, and freed pages stay resident until the thread that freed
//! them allocates again (the blocking pool's Argon2 buffers, 19 MiB a hash,
//! stayed). Idle RSS was 57-78 MiB. The `no_thp` build feature (workspace
//! `Cargo.toml`) keeps huge pages out, and a purge delay of 0, set here,
//! returns freed pages at once: idle RSS is back where glibc had it (about
//! 30 MiB, two thirds of it the executable's own pages) with no throughput
//! lost in `just bench-load`. Eager arena commit cannot be changed from here
//! (the first arena exists before `main`); with huge pages off it costs
//! nothing resident.
//!
//! The only `unsafe` in the workspace: mimalloc's options are C calls.
#![allow(unsafe_code)]

use std::ffi::c_long;

use libmimalloc_sys::{mi_option_get, mi_option_set_default, mi_option_t};

/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h`, in milliseconds
/// (the sys crate names only the options common to mimalloc 2 and 3).
const PURGE_DELAY: mi_option_t = 15;

/// The settings [`tune`] applies: (option, value).
const SETTINGS: [(mi_option_t, c_long); 1] = [(PURGE_DELAY, 0)];

/// Applies [`SETTINGS`] unless the environment (`MIMALLOC_PURGE_DELAY`)
/// already chose. Call first thing in `main`.
pub fn tune() {
    for (option, value) in SETTINGS {
        // SAFETY: a store into mimalloc's option table for a valid option
        // index; called before the process starts other threads.
        unsafe { mi_option_set_default(option, value) };
    }
}

/// The current value of each tuned option, in [`SETTINGS`] order.
pub fn current() -> [c_long; 1] {
    // SAFETY: reads mimalloc's option table for valid option indices.
    SETTINGS.map(|(option, _)| unsafe { mi_option_get(option) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_indices_name_the_options_meant() {
        // mimalloc 3's default identifies the option: a 1 s purge delay.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(current(), [1_000]);
        }
        tune();
        assert_eq!(current(), [0]);
    }
}
