//! `cargo fuzz run api_bodies`: see [`keygate_fuzz::api_bodies`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::api_bodies(data));
