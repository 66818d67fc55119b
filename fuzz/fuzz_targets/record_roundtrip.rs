//! `cargo fuzz run record_roundtrip`: see [`keygate_fuzz::record_roundtrip`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::record_roundtrip(data));
