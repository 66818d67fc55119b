//! `cargo fuzz run token_parse`: see [`keygate_fuzz::token_parse`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::token_parse(data));
