//! Base62 (`0-9A-Za-z`): the token alphabet, the checksum encoding and
//! uniform random strings drawn from the OS CSPRNG.

/// The 62 symbols in value order: digits, upper case, lower case.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whether `b` is one of the 62 symbols.
#[must_use]
pub fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Encodes `value` most significant digit first, left-padded with `0` to
/// `width` symbols (6 symbols hold any `u32`: 62^6 > 2^32).
#[must_use]
pub fn encode_padded(mut value: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    digits.into_iter().map(char::from).collect()
}

/// Why random bytes could not be had.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomUnavailable;

/// `len` symbols drawn uniformly from the OS CSPRNG.
///
/// Bytes of 248 and above are discarded (248 = 4 × 62), so every symbol has
/// exactly the same probability: no modulo bias.
///
/// # Errors
/// [`RandomUnavailable`] when the platform has no working CSPRNG.
pub fn random_string(len: usize) -> Result<String, RandomUnavailable> {
    const ACCEPT_BELOW: u8 = 248;
    let mut out = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while out.len() < len {
        getrandom::getrandom(&mut pool).map_err(|_| RandomUnavailable)?;
        for &b in pool.iter().filter(|&&b| b < ACCEPT_BELOW) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b % 62)]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_orders_digits() {
        assert_eq!(encode_padded(0, 6), "000000");
        assert_eq!(encode_padded(61, 6), "00000z");
        assert_eq!(encode_padded(62, 6), "000010");
        assert_eq!(encode_padded(u64::from(u32::MAX), 6), "4gfFC3");
    }

    #[test]
    fn random_strings_use_the_whole_alphabet_only() {
        let s = random_string(6200).expect("csprng");
        assert_eq!(s.len(), 6200);
        assert!(s.bytes().all(is_base62));
        // Every symbol turns up in 6200 draws (each expected ~100 times).
        for &sym in ALPHABET {
            assert!(s.as_bytes().contains(&sym), "{} never drawn", sym as char);
        }
    }
}
