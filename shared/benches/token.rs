//! Token hot paths: generate, parse (shape + checksum) and the lookup hash.
//! `cargo bench -p keygate-shared` prints ns per operation.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keygate_shared::token::{Prefix, Token};

fn token_benches(c: &mut Criterion) {
    let prefix = Prefix::default();
    let token = Token::generate(&prefix).expect("csprng");
    let secret = token.expose_secret().to_owned();
    let mut bad = secret.clone();
    bad.pop();
    bad.push(if secret.ends_with('A') { 'B' } else { 'A' });

    c.bench_function("generate", |b| {
        b.iter(|| Token::generate(black_box(&prefix)))
    });
    c.bench_function("parse_valid", |b| {
        b.iter(|| Token::parse(&prefix, black_box(&secret)))
    });
    c.bench_function("parse_bad_checksum", |b| {
        b.iter(|| Token::parse(&prefix, black_box(&bad)))
    });
    c.bench_function("parse_wrong_prefix", |b| {
        b.iter(|| Token::parse(&prefix, black_box("xx_short")))
    });
    c.bench_function("lookup_hash_hex", |b| {
        b.iter(|| black_box(&token).lookup_hash().to_hex())
    });
}

criterion_group!(benches, token_benches);
criterion_main!(benches);
