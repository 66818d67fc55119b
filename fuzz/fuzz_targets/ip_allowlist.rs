//! `cargo fuzz run ip_allowlist`: see [`keygate_fuzz::ip_allowlist`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keygate_fuzz::ip_allowlist(data));
