//! `cargo fuzz run gateway_config`: see [`keygate_fuzz::gateway_config`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::gateway_config(data));
