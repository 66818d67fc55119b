//! Property tests of the token format (§1).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use keygate_shared::base62::ALPHABET;
use keygate_shared::token::{MalformedToken, Prefix, Token};
use proptest::prelude::*;

fn random_part() -> impl Strategy<Value = String> {
    proptest::collection::vec(0usize..62, 32)
        .prop_map(|ix| ix.into_iter().map(|i| ALPHABET[i] as char).collect())
}

fn prefix() -> impl Strategy<Value = Prefix> {
    "[a-z][a-z0-9]{1,9}(_[a-z0-9]{1,10})?"
        .prop_map(|s| s.parse().expect("generated prefix has the shape"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn built_tokens_parse_back(p in prefix(), random in random_part()) {
        let t = Token::from_random_part(&p, &random);
        let parsed = Token::parse(&p, t.expose_secret()).expect("round trip");
        prop_assert_eq!(parsed.expose_secret(), t.expose_secret());
        prop_assert_eq!(parsed.lookup_hash(), t.lookup_hash());
        let hint_start = format!("{p}_{}", &random[..4]);
        prop_assert!(t.hint().starts_with(&hint_start));
    }

    #[test]
    fn generated_tokens_parse_back(p in prefix()) {
        let t = Token::generate(&p).expect("csprng");
        prop_assert!(Token::parse(&p, t.expose_secret()).is_ok());
    }

    /// CRC-32 catches every single-symbol error and every swap of two
    /// different adjacent symbols in the 38-symbol body.
    #[test]
    fn any_single_substitution_is_malformed(random in random_part(), pos in 0usize..38, sym in 0usize..62) {
        let p = Prefix::default();
        let good = Token::from_random_part(&p, &random).expose_secret().to_owned();
        let mut bytes = good.clone().into_bytes();
        let at = 3 + pos;
        prop_assume!(bytes[at] != ALPHABET[sym]);
        bytes[at] = ALPHABET[sym];
        let bad = String::from_utf8(bytes).expect("ascii");
        prop_assert_eq!(Token::parse(&p, &bad).err(), Some(MalformedToken));
    }

    #[test]
    fn any_adjacent_transposition_is_malformed(random in random_part(), pos in 0usize..37) {
        let p = Prefix::default();
        let good = Token::from_random_part(&p, &random).expose_secret().to_owned();
        let mut bytes = good.into_bytes();
        let at = 3 + pos;
        prop_assume!(bytes[at] != bytes[at + 1]);
        bytes.swap(at, at + 1);
        let bad = String::from_utf8(bytes).expect("ascii");
        prop_assert_eq!(Token::parse(&p, &bad).err(), Some(MalformedToken));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,80}", p in prefix()) {
        let _ = Token::parse(&p, &s);
        let _ = Token::parse(&p, &format!("{p}_{s}"));
    }
}
