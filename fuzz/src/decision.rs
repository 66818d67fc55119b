//! The verification decision over arbitrary records and requests, checked
//! against the contract's rules written out independently of `decide`.

use std::net::IpAddr;

use arbitrary::{Arbitrary, Unstructured};
use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_shared::policy::{decide, RequestFacts, Requirement, VerifyCode};
use keygate_shared::{KeyRecord, Prefix, Token};

const ROLES: [&str; 4] = ["admin", "reader", "calls:read", "calls:write"];
const ORGS: [&str; 6] = ["", "acme", "acme/emea", "acmex", "acme/emea/fr", "globex"];
const NETS: [&str; 6] = [
    "10.0.0.0/8",
    "192.168.1.7/32",
    "::1/128",
    "2001:db8::/32",
    "0.0.0.0/0",
    "10.1.2.0/24",
];

#[derive(Debug, Arbitrary)]
struct Case {
    enabled: bool,
    expires_in_minutes: Option<i16>,
    roles: u8,
    org: u8,
    nets: u8,
    client: Option<[u8; 4]>,
    client_v6: bool,
    check_ip: bool,
    required_roles: u8,
    required_org: Option<u8>,
}

fn pick<'a>(mask: u8, from: &[&'a str]) -> Vec<&'a str> {
    from.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, s)| *s)
        .collect()
}

fn within(org: &str, ancestor: &str) -> bool {
    ancestor.is_empty() || org == ancestor || org.starts_with(&format!("{ancestor}/"))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// Checks one decision.
pub fn verify_decision(data: &[u8]) {
    let Ok(case) = Case::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let org = ORGS[usize::from(case.org) % ORGS.len()];
    let nets = pick(case.nets, &NETS);
    let token = Token::from_random_part(&Prefix::default(), &"0".repeat(32));
    let record = KeyRecord {
        name: "fuzz".into(),
        organization: org.parse().unwrap(),
        roles: pick(case.roles, &ROLES)
            .into_iter()
            .map(|r| r.parse().unwrap())
            .collect(),
        ip_allowlist: nets.iter().map(|n| (*n).to_owned()).collect(),
        enabled: case.enabled,
        expires_at: case
            .expires_in_minutes
            .map(|m| now() + Duration::minutes(i64::from(m))),
        ..KeyRecord::minted(
            "key_0000000000000000".parse().unwrap(),
            &token,
            now() - Duration::days(1),
            "bootstrap",
        )
    };
    let client: Option<IpAddr> = case.client.map(|c| {
        if case.client_v6 {
            IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, u16::from(c[0]), u16::from(c[1])])
        } else {
            IpAddr::from(c)
        }
    });
    let requirement = Requirement {
        roles: pick(case.required_roles, &ROLES)
            .into_iter()
            .map(String::from)
            .collect(),
        organization: case
            .required_org
            .map(|o| ORGS[usize::from(o) % ORGS.len()].to_owned()),
        cost: None,
    };
    let facts = RequestFacts {
        client_ip: client,
        check_ip: case.check_ip,
        requirement: &requirement,
    };
    let code = decide(Some(&record), &facts, now());

    let expired = record.expires_at.is_some_and(|at| at <= now());
    let ip_ok = !case.check_ip
        || nets.is_empty()
        || client.is_some_and(|c| {
            nets.iter()
                .any(|n| n.parse::<ipnet::IpNet>().is_ok_and(|net| net.contains(&c)))
        });
    let role_ok = requirement.roles.is_empty()
        || requirement
            .roles
            .iter()
            .any(|r| record.roles.iter().any(|held| held == r));
    let org_ok = requirement
        .organization
        .as_deref()
        .is_none_or(|o| within(org, o));
    // The contract's order: expired, disabled, IP, role, organization.
    let expected = if expired {
        VerifyCode::Expired
    } else if !case.enabled {
        VerifyCode::Disabled
    } else if !ip_ok {
        VerifyCode::IpNotAllowed
    } else if !role_ok {
        VerifyCode::InsufficientRole
    } else if !org_ok {
        VerifyCode::WrongOrganization
    } else {
        VerifyCode::Valid
    };
    assert_eq!(code, expected, "{case:?}");
    assert_eq!(decide(None, &facts, now()), VerifyCode::UnknownKey);
}
