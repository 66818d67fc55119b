//! `origin_signature`: the origin-side check parses attacker input (the
//! `X-Keygate-Signature` header and every signed field). It never panics;
//! what the gateway signs verifies; a header or field changed in any
//! byte does not (a signature has one spelling: lower-case hex).

use keygate_origin::{sign, verify, Error, Forwarded, Secrets};

use crate::fields;

/// See the module documentation.
pub fn origin_signature(data: &[u8]) {
    let f = fields(data, 9);
    let secrets = Secrets::parse("fuzz-secret-0123456789abcdefghijklmn").expect("valid secret");
    let forwarded = Forwarded {
        method: &f[0],
        path: &f[1],
        query: &f[2],
        key_id: &f[3],
        organization: &f[4],
        roles: &f[5],
        meta: &f[6],
    };
    let now = 1_800_000_000;
    // Arbitrary header: never panics, never passes by accident.
    let arbitrary = verify(&secrets, Some(&f[7]), &forwarded, now);
    assert!(arbitrary.is_err(), "an arbitrary header passed: {}", f[7]);
    // A genuine header passes; any other byte in it fails.
    let header = sign(&secrets, now, &forwarded);
    assert_eq!(verify(&secrets, Some(&header), &forwarded, now), Ok(()));
    let choice = f[8].as_bytes();
    if let (Some(&at), Some(&by)) = (choice.first(), choice.get(1)) {
        let mut bytes = header.clone().into_bytes();
        let i = usize::from(at) % bytes.len();
        let old = bytes[i];
        bytes[i] = by;
        if old != by {
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            let result = verify(&secrets, Some(&changed), &forwarded, now);
            assert!(
                matches!(
                    result,
                    Err(Error::Malformed | Error::BadSignature | Error::Expired)
                ),
                "{changed}: {result:?}"
            );
        }
        // A field one byte longer fails.
        let mut path = f[1].clone();
        path.push(char::from(by));
        let other = Forwarded {
            path: &path,
            ..forwarded
        };
        assert_eq!(
            verify(&secrets, Some(&header), &other, now),
            Err(Error::BadSignature)
        );
    }
}
