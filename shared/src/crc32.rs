//! CRC-32 (IEEE 802.3 / zlib polynomial, reflected) for the token checksum.
//!
//! Byte-at-a-time with one 1 KiB table built at compile time. The checksum
//! only ever covers 32 bytes, where `crc32fast`'s slice-by-16 tables (16 KiB
//! that gzip cannot shrink) bought nothing but size in both wasm modules.

const POLY: u32 = 0xEDB8_8320;

const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { POLY ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// CRC-32 of `bytes`, as zlib's `crc32()` computes it.
#[must_use]
pub fn hash(bytes: &[u8]) -> u32 {
    !bytes
        .iter()
        .fold(!0u32, |c, &b| TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

#[cfg(test)]
mod tests {
    use super::hash;
    use proptest::prelude::*;

    #[test]
    fn known_answers() {
        assert_eq!(hash(b""), 0);
        assert_eq!(hash(b"123456789"), 0xCBF4_3926); // the standard check value
        assert_eq!(
            hash(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    proptest! {
        #[test]
        fn matches_crc32fast(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            prop_assert_eq!(hash(&bytes), crc32fast::hash(&bytes));
        }
    }
}
