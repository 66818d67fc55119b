//! IP allowlists: IPv4/IPv6 addresses and CIDRs, checked with `ipnet`.

use std::net::IpAddr;

use ipnet::IpNet;

/// An allowlist entry that is neither an address nor a CIDR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an IPv4/IPv6 address or CIDR")]
pub struct InvalidEntry;

/// Most entries an allowlist may hold.
pub const MAX_ENTRIES: usize = 64;

/// Parses one allowlist entry (address or CIDR) into its canonical network:
/// host bits are cleared (`10.0.0.7/24` → `10.0.0.0/24`), a bare address is
/// a /32 or /128, and an IPv4-mapped IPv6 address is its IPv4 form.
///
/// # Errors
/// [`InvalidEntry`]; the entry itself is not echoed.
pub fn parse_entry(entry: &str) -> Result<IpNet, InvalidEntry> {
    let entry = entry.trim();
    if let Ok(net) = entry.parse::<IpNet>() {
        return Ok(canonical_net(net).trunc());
    }
    entry
        .parse::<IpAddr>()
        .map(|a| IpNet::from(canonical(a)))
        .map_err(|_| InvalidEntry)
}

/// A network inside the IPv4-mapped range (`::ffff:10.0.0.0/104`) becomes
/// the IPv4 network it stands for (`10.0.0.0/8`): clients are matched by
/// their canonical address, so in mapped form it would match no one (found
/// by fuzzing). Wider IPv6 networks (`::/0`) stay IPv6 and do not match
/// IPv4 clients.
fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => v6
            .addr()
            .to_ipv4_mapped()
            .and_then(|a| ipnet::Ipv4Net::new(a, v6.prefix_len() - 96).ok())
            .map_or(net, IpNet::V4),
        other => other,
    }
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4, so a v4 allowlist
/// matches clients that reach a dual-stack edge over v6 sockets.
#[must_use]
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// Whether `client` is allowed by `allowlist` (canonical strings as stored).
/// An empty allowlist allows everyone; an entry that no longer parses
/// allows no one (fail closed).
#[must_use]
pub fn allows(allowlist: &[String], client: Option<IpAddr>) -> bool {
    if allowlist.is_empty() {
        return true;
    }
    let Some(client) = client.map(canonical) else {
        return false;
    };
    allowlist
        .iter()
        .any(|entry| parse_entry(entry).is_ok_and(|net| net.contains(&client)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<String> {
        entries
            .iter()
            .map(|e| parse_entry(e).expect("entry").to_string())
            .collect()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(
            list(&[
                "10.0.0.7/24",
                "192.0.2.1",
                "2001:db8::1/32",
                "::ffff:192.0.2.9",
                "::ffff:10.9.0.0/104",
                "::ffff:0:0/96",
                "::/0"
            ]),
            [
                "10.0.0.0/24",
                "192.0.2.1/32",
                "2001:db8::/32",
                "192.0.2.9/32",
                "10.0.0.0/8",
                "0.0.0.0/0",
                "::/0"
            ]
        );
        for bad in [
            "",
            "10.0.0.256",
            "10.0.0.0/33",
            "2001:db8::/129",
            "example.com",
            "10.0.0.0/24/1",
        ] {
            assert!(parse_entry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv4_and_ipv6_matching() {
        let l = list(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]);
        assert!(allows(&l, ip("10.200.3.4")));
        assert!(allows(&l, ip("192.0.2.1")));
        assert!(!allows(&l, ip("192.0.2.2")));
        assert!(allows(&l, ip("2001:db8:ffff::1")));
        assert!(!allows(&l, ip("2001:db9::1")));
        assert!(
            allows(&l, ip("::ffff:10.1.1.1")),
            "mapped v4 matches a v4 range"
        );
        assert!(!allows(&l, None), "no client address, no pass");
        assert!(allows(&[], None), "empty list allows any");
        assert!(!allows(&["garbage".into()], ip("10.0.0.1")), "fail closed");
    }
}
