//! `cargo fuzz run origin_signature`: see [`keygate_fuzz::origin_signature`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::origin_signature(data));
