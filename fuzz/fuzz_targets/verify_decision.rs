//! `cargo fuzz run verify_decision`: see [`keygate_fuzz::verify_decision`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::verify_decision(data));
