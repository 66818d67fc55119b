//! `cargo fuzz run canonical_path`: see [`keygate_fuzz::canonical_path`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::canonical_path(data));
