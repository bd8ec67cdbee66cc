//! Webhooks for partner systems (issue 15 item 2): which URLs the server may call, and when it
//! tries again.
//!
//! A webhook URL makes the server send requests where an administrator says: an SSRF surface.
//! A URL is checked twice: [`parse_target`] on its text, [`check_addresses`] on every address
//! its host resolves to. Both run at registration and again before each delivery, and the
//! delivery connects to the address that was checked, so a DNS answer that changes in between
//! (rebinding) cannot slip a private address in.
//!
//! One file on purpose (about 320 lines of rules, the rest their tests): the address ranges the SSRF
//! rule refuses are tested here, next to the rule.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use url::Url;

crate::vocabulary! {
    /// State of one delivery of one event to one subscription.
    pub enum DeliveryStatus {
        /// Not yet answered with 2xx; tried again at `next_attempt_at`.
        Pending => "pending",
        /// A 2xx answer was received.
        Delivered => "delivered",
        /// Every attempt of the retry schedule failed.
        Failed => "failed",
    }
}

/// What the operator allows besides public `https` URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// `KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK`: `http` (and `https`) to loopback addresses, for tests
    /// and development.
    pub allow_http_loopback: bool,
    /// `KIM_WEBHOOK_ALLOWED_HOSTS`: host names (lower case) whose addresses are not checked, for
    /// a receiver inside the operator's own network. `https` is still required.
    pub allowed_hosts: Vec<String>,
}

impl UrlPolicy {
    /// Reads the comma-separated allow list; blanks are ignored, names compared in lower case.
    pub fn new(allow_http_loopback: bool, allowed_hosts: &str) -> Self {
        UrlPolicy {
            allow_http_loopback,
            allowed_hosts: allowed_hosts
                .split(',')
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    fn allows_host(&self, host: &str) -> bool {
        self.allowed_hosts.iter().any(|h| h == host)
    }
}

/// A webhook URL that passed [`parse_target`]: what to resolve and where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: Url,
    /// The host as resolved: a name in lower case, or an address without brackets.
    pub host: String,
    pub port: u16,
    pub https: bool,
}

/// Kind of an IP address, as far as webhooks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and IPv6 site-local.
    Private,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// fc00::/7.
    UniqueLocal,
    /// 100.64/10, carrier-grade NAT.
    SharedAddressSpace,
    /// 0.0.0.0/8, `::`.
    Unspecified,
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32.
    Documentation,
    /// Other special-purpose ranges (192.0.0/24, 198.18/15, 240/4, 100::/64).
    Reserved,
}

impl AddressClass {
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::UniqueLocal => "a unique-local address",
            AddressClass::SharedAddressSpace => "a carrier-grade NAT address",
            AddressClass::Unspecified => "the unspecified address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Reserved => "a reserved address",
        }
    }
}

/// Why a URL is refused; the message names the reason for the `url` field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("is not an absolute URL: {0}")]
    NotAUrl(String),
    #[error("must use https (http only to loopback addresses when KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK=true), got {0}")]
    Scheme(String),
    #[error("must not carry a user name or password")]
    Userinfo,
    #[error("must not carry a fragment")]
    Fragment,
    #[error("has no host")]
    NoHost,
    #[error("resolves to {address}, {}, which webhooks may not reach", class.describe())]
    Address {
        address: IpAddr,
        class: AddressClass,
    },
    #[error("uses http to {address}, which is not a loopback address: use https")]
    HttpNotLoopback { address: IpAddr },
    #[error("has a host that does not resolve: {0}")]
    Unresolvable(String),
    #[error("is unreachable: {0}")]
    Unreachable(String),
}

/// Checks the text of a webhook URL: absolute, `https` (or `http` when the policy allows
/// loopback; whether the host is loopback is known only once resolved), no userinfo, no
/// fragment, a host.
pub fn parse_target(raw: &str, policy: &UrlPolicy) -> Result<Target, UrlRefusal> {
    let url = Url::parse(raw).map_err(|e| UrlRefusal::NotAUrl(e.to_string()))?;
    let https = match url.scheme() {
        "https" => true,
        "http" if policy.allow_http_loopback => false,
        other => return Err(UrlRefusal::Scheme(format!("{other}:"))),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Userinfo);
    }
    if url.fragment().is_some() {
        return Err(UrlRefusal::Fragment);
    }
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(UrlRefusal::NoHost),
    };
    if host.is_empty() {
        return Err(UrlRefusal::NoHost);
    }
    let port = url
        .port_or_known_default()
        .unwrap_or(if https { 443 } else { 80 });
    Ok(Target {
        url,
        host,
        port,
        https,
    })
}

/// Checks every address `target`'s host resolved to: each must be public (or loopback when
/// the policy allows it, or any address of an allow-listed host over `https`), and `http` goes
/// to loopback only. No address at all means the host does not resolve.
pub fn check_addresses(
    target: &Target,
    addresses: &[IpAddr],
    policy: &UrlPolicy,
) -> Result<(), UrlRefusal> {
    if addresses.is_empty() {
        return Err(UrlRefusal::Unresolvable(target.host.clone()));
    }
    for &address in addresses {
        let class = classify(address);
        if class == AddressClass::Loopback && policy.allow_http_loopback {
            continue;
        }
        if !target.https {
            return Err(UrlRefusal::HttpNotLoopback { address });
        }
        if class != AddressClass::Public && !policy.allows_host(&target.host) {
            return Err(UrlRefusal::Address { address, class });
        }
    }
    Ok(())
}

/// The class of `address`; IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
/// 6to4) are classed by the IPv4 address they reach.
pub fn classify(address: IpAddr) -> AddressClass {
    match address {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) => AddressClass::Private,
        (172, 16..=31, _) => AddressClass::Private,
        (192, 168, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (100, 64..=127, _) => AddressClass::SharedAddressSpace,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (192, 0, 0) | (198, 18..=19, _) => AddressClass::Reserved,
        (224..=239, _, _) => AddressClass::Multicast,
        _ if ip == Ipv4Addr::BROADCAST => AddressClass::Broadcast,
        (240..=255, _, _) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let segments = ip.segments();
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    let embedded = |high: u16, low: u16| {
        Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
    };
    match segments {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated but still routed by
        // some stacks to the IPv4 address).
        [0, 0, 0, 0, 0, 0xffff, high, low] | [0, 0, 0, 0, 0, 0, high, low] => {
            classify_v4(embedded(high, low))
        }
        // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => classify_v4(embedded(high, low)),
        // 6to4 (2002::/16) carries the IPv4 address in the next 32 bits.
        [0x2002, high, low, ..] => classify_v4(embedded(high, low)),
        [0x2001, 0x0db8, ..] => AddressClass::Documentation,
        [0x0100, 0, 0, 0, ..] => AddressClass::Reserved,
        [first, ..] if first & 0xff00 == 0xff00 => AddressClass::Multicast,
        [first, ..] if first & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        [first, ..] if first & 0xffc0 == 0xfec0 => AddressClass::Private,
        [first, ..] if first & 0xfe00 == 0xfc00 => AddressClass::UniqueLocal,
        _ => AddressClass::Public,
    }
}

/// Waits before the second, third, … attempt, at the default base of 10 s: about a day in all
/// (27 h 36 min at most). After the last, the delivery has failed.
pub const RETRY_STEPS_SECONDS: [u64; 8] = [10, 60, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// The first step of [`RETRY_STEPS_SECONDS`]; `KIM_WEBHOOK_RETRY_BASE_MILLIS` scales the whole
/// schedule relative to it (tests run it in milliseconds).
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(10);

/// Attempts of one delivery in all: the first and one per retry step.
pub const MAX_ATTEMPTS: u32 = RETRY_STEPS_SECONDS.len() as u32 + 1;

/// Failed deliveries in a row after which a subscription is disabled: its receiver has been
/// unreachable for days, and retrying every event for another day each helps no one.
pub const DISABLE_AFTER_FAILED_DELIVERIES: i32 = 5;

/// How long to wait after `attempts` failed attempts before the next, or `None` when the
/// delivery has failed for good. Full jitter (AWS, "Exponential Backoff and Jitter"): the wait
/// is `jitter` (drawn uniformly from [0, 1] by the caller) times the step, so receivers that
/// come back after an outage are not hit by every sender at once.
pub fn retry_delay(attempts: u32, base: Duration, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let step = *RETRY_STEPS_SECONDS.get(index)?;
    let scaled = base.as_secs_f64() * step as f64 / DEFAULT_RETRY_BASE.as_secs_f64();
    Some(Duration::from_secs_f64(scaled * jitter.clamp(0.0, 1.0)))
}

/// The state of a delivery after an attempt: delivered on 2xx; otherwise pending with a wait
/// ([`retry_delay`]) or failed after [`MAX_ATTEMPTS`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AfterAttempt {
    Delivered,
    RetryIn(Duration),
    Failed,
}

/// What follows attempt number `attempts` (1-based) that answered `status` (`None`: no HTTP
/// answer: timeout, refused or closed connection).
pub fn after_attempt(
    attempts: u32,
    status: Option<u16>,
    base: Duration,
    jitter: f64,
) -> AfterAttempt {
    if status.is_some_and(|s| (200..300).contains(&s)) {
        return AfterAttempt::Delivered;
    }
    match retry_delay(attempts, base, jitter) {
        Some(wait) => AfterAttempt::RetryIn(wait),
        None => AfterAttempt::Failed,
    }
}

/// Whether a subscription with `failed_in_a_row` failed deliveries (counting the one just
/// failed) is disabled.
pub fn disables(failed_in_a_row: i32) -> bool {
    failed_in_a_row >= DISABLE_AFTER_FAILED_DELIVERIES
}

/// The signed content of a Standard Webhooks signature: `{id}.{timestamp}.{body}`.
pub fn signed_content(id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(loopback: bool, hosts: &str) -> UrlPolicy {
        UrlPolicy::new(loopback, hosts)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn classifies_every_range() {
        use AddressClass::*;
        for (address, class) in [
            ("8.8.8.8", Public),
            ("1.1.1.1", Public),
            ("172.15.255.255", Public),
            ("172.32.0.0", Public),
            ("100.63.255.255", Public),
            ("100.128.0.0", Public),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.254", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.255", SharedAddressSpace),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("192.0.0.8", Reserved),
            ("198.18.0.1", Reserved),
            ("198.19.255.1", Reserved),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Broadcast),
            ("2606:4700:4700::1111", Public),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", Private),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("100::1", Reserved),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Loopback),
            ("::10.1.2.3", Private),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("64:ff9b::808:808", Public),
            ("2002:c0a8:0101::1", Private),
            ("2002:0808:0808::1", Public),
        ] {
            assert_eq!(classify(ip(address)), class, "{address}");
        }
    }

    #[test]
    fn the_text_of_a_url_is_checked() {
        let strict = policy(false, "");
        let target = parse_target("https://Hooks.Example.org:8443/kim?x=1", &strict).expect("ok");
        assert_eq!(
            (target.host.as_str(), target.port, target.https),
            ("hooks.example.org", 8443, true)
        );
        assert_eq!(
            parse_target("https://example.org/", &strict)
                .expect("ok")
                .port,
            443
        );
        assert_eq!(
            parse_target("https://[::1]/", &strict).expect("ok").host,
            "::1"
        );
        for (raw, refusal) in [
            ("http://example.org/", UrlRefusal::Scheme("http:".into())),
            ("ftp://example.org/", UrlRefusal::Scheme("ftp:".into())),
            ("file:///etc/passwd", UrlRefusal::Scheme("file:".into())),
            (
                "gopher://example.org/",
                UrlRefusal::Scheme("gopher:".into()),
            ),
            ("https://user:pw@example.org/", UrlRefusal::Userinfo),
            ("https://user@example.org/", UrlRefusal::Userinfo),
            ("https://example.org/#x", UrlRefusal::Fragment),
        ] {
            assert_eq!(parse_target(raw, &strict), Err(refusal), "{raw}");
        }
        for raw in ["example.org", "/relative", "", "https://", "https:// x"] {
            assert!(
                matches!(
                    parse_target(raw, &strict),
                    Err(UrlRefusal::NotAUrl(_) | UrlRefusal::NoHost)
                ),
                "{raw}"
            );
        }
        // http only with the loopback flag; ftp never.
        let loopback = policy(true, "");
        let target = parse_target("http://localhost:9000/hook", &loopback).expect("ok");
        assert_eq!((target.https, target.port), (false, 9000));
        assert_eq!(
            parse_target("ftp://localhost/", &loopback),
            Err(UrlRefusal::Scheme("ftp:".into()))
        );
        assert_eq!(
            parse_target("http://u@localhost/", &loopback),
            Err(UrlRefusal::Userinfo)
        );
    }

    fn check(raw: &str, addresses: &[&str], policy: &UrlPolicy) -> Result<(), UrlRefusal> {
        let target = parse_target(raw, policy)?;
        let addresses: Vec<IpAddr> = addresses.iter().map(|a| ip(a)).collect();
        check_addresses(&target, &addresses, policy)
    }

    #[test]
    fn every_resolved_address_must_be_public() {
        let strict = policy(false, "");
        assert_eq!(
            check("https://example.org/", &["93.184.215.14"], &strict),
            Ok(())
        );
        for address in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.0.10",
            "169.254.169.254",
            "100.64.1.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "2001:db8::5",
        ] {
            assert_eq!(
                check("https://example.org/", &[address], &strict),
                Err(UrlRefusal::Address {
                    address: ip(address),
                    class: classify(ip(address))
                }),
                "{address}"
            );
            // One bad address among good ones is enough to refuse.
            assert!(
                check("https://example.org/", &["93.184.215.14", address], &strict).is_err(),
                "{address}"
            );
        }
        assert_eq!(
            check("https://nowhere.example/", &[], &strict),
            Err(UrlRefusal::Unresolvable("nowhere.example".into()))
        );
        // A literal address is checked like a resolved one.
        assert!(check("https://10.0.0.1/", &["10.0.0.1"], &strict).is_err());
        assert!(check("https://[::1]/", &["::1"], &strict).is_err());
    }

    #[test]
    fn loopback_and_http_only_with_the_flag() {
        let loopback = policy(true, "");
        assert_eq!(
            check("http://localhost:1/", &["127.0.0.1", "::1"], &loopback),
            Ok(())
        );
        assert_eq!(
            check("https://localhost:1/", &["127.0.0.1"], &loopback),
            Ok(())
        );
        assert_eq!(
            check("http://example.org/", &["93.184.215.14"], &loopback),
            Err(UrlRefusal::HttpNotLoopback {
                address: ip("93.184.215.14")
            })
        );
        // The flag opens loopback, not private ranges.
        assert!(matches!(
            check("https://example.org/", &["10.0.0.1"], &loopback),
            Err(UrlRefusal::Address { .. })
        ));
        assert!(matches!(
            check("http://10.0.0.1/", &["10.0.0.1"], &loopback),
            Err(UrlRefusal::HttpNotLoopback { .. })
        ));
        // Without it, a name resolving to loopback is refused.
        assert!(matches!(
            check("https://localhost/", &["127.0.0.1"], &policy(false, "")),
            Err(UrlRefusal::Address {
                class: AddressClass::Loopback,
                ..
            })
        ));
    }

    #[test]
    fn allow_listed_hosts_skip_the_address_check_but_not_https() {
        let listed = policy(false, " hooks.intern.example , Other.Example. ,,");
        assert_eq!(
            listed.allowed_hosts,
            ["hooks.intern.example", "other.example"]
        );
        assert_eq!(
            check("https://hooks.intern.example/", &["10.1.2.3"], &listed),
            Ok(())
        );
        assert_eq!(
            check("https://OTHER.example/", &["192.168.1.1"], &listed),
            Ok(())
        );
        assert!(check("https://unlisted.example/", &["10.1.2.3"], &listed).is_err());
        assert!(check("http://hooks.intern.example/", &["10.1.2.3"], &listed).is_err());
    }

    #[test]
    fn the_retry_schedule_lasts_about_a_day_with_full_jitter() {
        let base = DEFAULT_RETRY_BASE;
        assert_eq!(retry_delay(0, base, 1.0), None);
        assert_eq!(retry_delay(1, base, 1.0), Some(Duration::from_secs(10)));
        assert_eq!(retry_delay(2, base, 1.0), Some(Duration::from_secs(60)));
        assert_eq!(retry_delay(8, base, 1.0), Some(Duration::from_secs(36_000)));
        assert_eq!(retry_delay(9, base, 1.0), None);
        let total: u64 = RETRY_STEPS_SECONDS.iter().sum();
        assert!((86_400..=2 * 86_400).contains(&total), "{total}");
        // Full jitter: anywhere from nothing to the step.
        assert_eq!(retry_delay(3, base, 0.0), Some(Duration::ZERO));
        assert_eq!(retry_delay(3, base, 0.5), Some(Duration::from_secs(150)));
        assert_eq!(retry_delay(3, base, 7.0), Some(Duration::from_secs(300)));
        // A base of 10 ms runs the same schedule a thousand times faster.
        assert_eq!(
            retry_delay(2, Duration::from_millis(10), 1.0),
            Some(Duration::from_millis(60))
        );
        // Steps grow.
        for pair in RETRY_STEPS_SECONDS.windows(2) {
            assert!(pair[0] <= pair[1]);
        }
    }

    #[test]
    fn attempts_end_delivered_retried_or_failed() {
        let base = DEFAULT_RETRY_BASE;
        assert_eq!(
            after_attempt(1, Some(200), base, 1.0),
            AfterAttempt::Delivered
        );
        assert_eq!(
            after_attempt(9, Some(204), base, 1.0),
            AfterAttempt::Delivered
        );
        for status in [None, Some(199), Some(301), Some(404), Some(500)] {
            assert_eq!(
                after_attempt(1, status, base, 1.0),
                AfterAttempt::RetryIn(Duration::from_secs(10)),
                "{status:?}"
            );
        }
        assert_eq!(
            after_attempt(MAX_ATTEMPTS, Some(500), base, 1.0),
            AfterAttempt::Failed
        );
        assert_eq!(MAX_ATTEMPTS, 9);
        assert!(!disables(DISABLE_AFTER_FAILED_DELIVERIES - 1));
        assert!(disables(DISABLE_AFTER_FAILED_DELIVERIES));
    }

    #[test]
    fn the_signed_content_joins_id_timestamp_and_body() {
        assert_eq!(
            signed_content("evt_1", 1_700_000_000, b"{\"a\":1}"),
            b"evt_1.1700000000.{\"a\":1}".to_vec()
        );
    }
}
