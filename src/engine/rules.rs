//! The default sync rules as pure functions of an imported object: what is left out, the
//! sourceAnchor (immutableId), the tenant sign-in name, the mail nickname, and the keys that
//! join the same person across forests.
//!
//! They implement the behaviour administrators know from the reference product:
//! - **sourceAnchor**, managed mode: `ms-DS-ConsistencyGuid` when set, else `objectGUID`,
//!   base64-encoded, and the value is written back to `ms-DS-ConsistencyGuid`; or a chosen
//!   attribute, binary values base64-encoded, text values checked against the documented rules.
//! - **Tenant UPN**: the on-premises UPN when its suffix is a verified tenant domain, else
//!   `<mailNickname>@<initial domain>` (a user without a UPN is first given
//!   `sAMAccountName@<its domain>`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::directory::Entry;

/// Where the immutableId comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", tag = "mode", content = "attribute")]
pub enum AnchorMode {
    /// ms-DS-ConsistencyGuid when set, else objectGUID; written back.
    Managed,
    /// A chosen attribute (binary values base64-encoded).
    Attribute(String),
}

/// A computed sourceAnchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The immutableId sent to the tenant.
    pub immutable_id: String,
    /// Bytes to write to ms-DS-ConsistencyGuid (managed mode, when it was not set yet).
    pub write_back: Option<[u8; 16]>,
}

/// Characters a text sourceAnchor may not hold (documented rules).
pub const ANCHOR_FORBIDDEN: &[char] = &[
    '\\', '!', '#', '$', '%', '&', '*', '+', '/', '=', '?', '^', '`', '{', '}', '|', '~', '>', '<',
    '(', ')', '\'', ';', ':', ',', '[', ']', '"', '@', '_',
];

/// Checks a text sourceAnchor value against the documented rules: fewer than 60 characters when
/// every character outside a-z, A-Z, 0-9 counts three, and none of the forbidden characters.
pub fn check_anchor_text(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("the value is empty".into());
    }
    if let Some(c) = value.chars().find(|c| ANCHOR_FORBIDDEN.contains(c)) {
        return Err(format!(
            "it contains '{c}', which a sourceAnchor may not hold"
        ));
    }
    let weight: usize = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { 1 } else { 3 })
        .sum();
    if weight >= 60 {
        return Err(format!(
            "it is too long: {weight} counted characters (characters outside a-z, A-Z, 0-9 count three), fewer than 60 allowed"
        ));
    }
    Ok(())
}

/// The sourceAnchor of an object.
pub fn source_anchor(entry: &Entry, mode: &AnchorMode) -> Result<Anchor, String> {
    match mode {
        AnchorMode::Managed => {
            if let Some(guid) = entry
                .first("mS-DS-ConsistencyGuid")
                .filter(|v| !v.is_empty())
            {
                return Ok(Anchor {
                    immutable_id: BASE64.encode(guid),
                    write_back: None,
                });
            }
            let guid = entry
                .guid()
                .ok_or_else(|| "the object has no objectGUID".to_string())?;
            Ok(Anchor {
                immutable_id: BASE64.encode(guid),
                write_back: Some(guid),
            })
        }
        AnchorMode::Attribute(name) => {
            let value = entry
                .first(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("the object has no value in {name}"))?;
            let immutable_id = match std::str::from_utf8(value) {
                Ok(text) if is_text_attribute(name) => {
                    check_anchor_text(text).map_err(|e| format!("{name}: {e}"))?;
                    text.to_string()
                }
                _ => BASE64.encode(value),
            };
            Ok(Anchor {
                immutable_id,
                write_back: None,
            })
        }
    }
}

/// Attributes whose values are binary (base64 in the tenant) rather than text.
fn is_text_attribute(name: &str) -> bool {
    ![
        "objectGUID",
        "objectSid",
        "mS-DS-ConsistencyGuid",
        "msExchMailboxGuid",
        "msDS-ExternalDirectoryObjectId",
    ]
    .iter()
    .any(|b| b.eq_ignore_ascii_case(name))
}

fn prefix(address: &str) -> Option<&str> {
    address
        .split_once('@')
        .map(|(p, _)| p)
        .filter(|p| !p.is_empty())
}

/// The mail nickname: the first present of the Exchange mailNickname, the prefix of the primary
/// `SMTP:` proxy address, the prefix of mail, the UPN prefix, the prefix of a secondary `smtp:`.
pub fn mail_nickname(entry: &Entry) -> Option<String> {
    if let Some(n) = entry.text("mailNickname").filter(|n| !n.trim().is_empty()) {
        return Some(n.trim().to_string());
    }
    let proxies = entry.texts("proxyAddresses");
    if let Some(p) = proxies
        .iter()
        .find_map(|a| a.strip_prefix("SMTP:").and_then(prefix))
    {
        return Some(p.to_string());
    }
    if let Some(p) = entry.text("mail").as_deref().and_then(prefix) {
        return Some(p.to_string());
    }
    if let Some(p) = entry.text("userPrincipalName").as_deref().and_then(prefix) {
        return Some(p.to_string());
    }
    proxies
        .iter()
        .find_map(|a| a.strip_prefix("smtp:").and_then(prefix))
        .map(str::to_string)
}

/// Whether a UPN is well formed enough for the tenant: one `@`, a non-empty prefix, a dotted
/// suffix, no spaces.
pub fn valid_upn(upn: &str) -> bool {
    match upn.split_once('@') {
        Some((p, s)) => {
            !p.is_empty()
                && s.contains('.')
                && !s.contains('@')
                && !upn.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// The tenant sign-in name of a user: its userPrincipalName, or the value of the alternate
/// sign-in `attribute` when one is chosen, kept when its suffix is a verified domain; else
/// its nickname on the initial domain.
pub fn tenant_upn(
    entry: &Entry,
    domain_dns: &str,
    verified: &[String],
    initial_domain: &str,
    attribute: Option<&str>,
) -> Option<String> {
    let upn = match attribute {
        Some(attribute) => entry
            .text(attribute)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .or_else(|| {
                entry
                    .text("sAMAccountName")
                    .map(|sam| format!("{sam}@{domain_dns}"))
            }),
        None => entry
            .text("userPrincipalName")
            .filter(|u| !u.trim().is_empty())
            .or_else(|| {
                entry
                    .text("sAMAccountName")
                    .map(|sam| format!("{sam}@{domain_dns}"))
            }),
    }?;
    if valid_upn(&upn) {
        let suffix = upn.rsplit_once('@').map(|(_, s)| s).unwrap_or_default();
        if verified.iter().any(|d| d.eq_ignore_ascii_case(suffix)) {
            return Some(upn);
        }
    }
    // Fallback: the nickname (or what the UPN had) on the initial domain.
    let nickname = mail_nickname(entry)
        .or_else(|| prefix(&upn).map(str::to_string))
        .or_else(|| entry.text("sAMAccountName"))?;
    Some(format!("{}@{initial_domain}", tenant_safe(&nickname)))
}

/// A nickname made acceptable as a UPN prefix in the tenant (spaces and characters Graph refuses
/// become nothing).
pub fn tenant_safe(nickname: &str) -> String {
    nickname
        .chars()
        .filter(|c| {
            c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '\'' | '!' | '#' | '^' | '~')
        })
        .collect::<String>()
        .trim_matches('.')
        .to_string()
}

/// Why an object is left out by the built-in rules, if it is.
pub fn builtin_exclusion(entry: &Entry) -> Option<&'static str> {
    if entry.flag("isCriticalSystemObject") {
        return Some(
            "a critical system object (built-in accounts and groups are never synchronized)",
        );
    }
    if entry.dn.contains("\\0ACNF:") || entry.dn.contains("\nCNF:") {
        return Some(
            "a replication conflict object (CNF); resolve the conflict in Active Directory",
        );
    }
    let sam = entry
        .text("sAMAccountName")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if sam.starts_with("msol_") || sam.starts_with("aad_") || sam.starts_with("sync_") {
        return Some("a directory synchronization service account");
    }
    if entry
        .text("description")
        .is_some_and(|d| d.starts_with("Skybridge connector account"))
    {
        return Some("Skybridge's own connector account");
    }
    None
}

/// How the same person is recognised across forests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", tag = "by", content = "attribute")]
pub enum Matching {
    /// Each user exists once across all forests: no joining.
    None,
    /// By the mail attribute.
    Mail,
    /// objectSid in an account forest ↔ msExchMasterAccountSID in a resource forest.
    ObjectSidToMasterAccountSid,
    /// sAMAccountName together with mailNickname.
    SamAndNickname,
    /// A chosen attribute.
    Attribute(String),
}

/// The join keys of an object: an object whose key another forest's object offers (its
/// "offered" keys) joins it. Returns (keys this object looks for, keys this object offers).
pub fn join_keys(entry: &Entry, matching: &Matching) -> (Vec<String>, Vec<String>) {
    let lower = |s: String| s.trim().to_lowercase();
    match matching {
        Matching::None => (Vec::new(), Vec::new()),
        Matching::Mail => {
            let keys: Vec<String> = entry
                .text("mail")
                .filter(|m| !m.trim().is_empty())
                .map(|m| format!("mail:{}", lower(m)))
                .into_iter()
                .collect();
            (keys.clone(), keys)
        }
        Matching::ObjectSidToMasterAccountSid => {
            let mut looks = Vec::new();
            let mut offers = Vec::new();
            if let Some(sid) = entry.first("msExchMasterAccountSID") {
                looks.push(format!("sid:{}", BASE64.encode(sid)));
            }
            if let Some(sid) = entry.first("objectSid") {
                offers.push(format!("sid:{}", BASE64.encode(sid)));
            }
            (looks, offers)
        }
        Matching::SamAndNickname => {
            let keys: Vec<String> = match (entry.text("sAMAccountName"), mail_nickname(entry)) {
                (Some(sam), Some(nick)) => vec![format!("sam:{}|{}", lower(sam), lower(nick))],
                _ => Vec::new(),
            };
            (keys.clone(), keys)
        }
        Matching::Attribute(name) => {
            let keys: Vec<String> = entry
                .first(name)
                .map(|v| format!("attr:{}", BASE64.encode(v)))
                .into_iter()
                .collect();
            (keys.clone(), keys)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(attrs: &[(&str, &[&[u8]])]) -> Entry {
        let mut e = Entry {
            dn: "CN=x,OU=Users,DC=contoso,DC=test".into(),
            ..Entry::default()
        };
        for (name, values) in attrs {
            e.add_values(name, values.iter().map(|v| v.to_vec()).collect());
        }
        e
    }

    const GUID: [u8; 16] = [
        0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];

    #[test]
    fn managed_anchor_prefers_the_consistency_guid_and_writes_back_otherwise() {
        let fresh = entry(&[("objectGUID", &[&GUID])]);
        let a = source_anchor(&fresh, &AnchorMode::Managed).unwrap();
        assert_eq!(a.immutable_id, BASE64.encode(GUID));
        assert_eq!(a.write_back, Some(GUID));
        let set = entry(&[
            ("objectGUID", &[&GUID]),
            ("mS-DS-ConsistencyGuid", &[&[7u8; 16]]),
        ]);
        let a = source_anchor(&set, &AnchorMode::Managed).unwrap();
        assert_eq!(a.immutable_id, BASE64.encode([7u8; 16]));
        assert_eq!(a.write_back, None);
    }

    #[test]
    fn a_chosen_text_anchor_follows_the_documented_rules() {
        let ok = entry(&[("employeeID", &[b"E12345"])]);
        let a = source_anchor(&ok, &AnchorMode::Attribute("employeeID".into())).unwrap();
        assert_eq!(a.immutable_id, "E12345");
        for (value, needle) in [
            ("a@b", "'@'"),
            ("under_score", "'_'"),
            ("ééééééééééééééééééééé", "too long"),
        ] {
            let e = entry(&[("employeeID", &[value.as_bytes()])]);
            let err = source_anchor(&e, &AnchorMode::Attribute("employeeID".into())).unwrap_err();
            assert!(err.contains(needle), "{value}: {err}");
        }
        assert!(check_anchor_text(&"a".repeat(59)).is_ok());
        assert!(check_anchor_text(&"a".repeat(60)).is_err());
        let missing = entry(&[]);
        assert!(source_anchor(&missing, &AnchorMode::Attribute("employeeID".into())).is_err());
        let binary = entry(&[("objectSid", &[&[1, 5, 0, 0]])]);
        let a = source_anchor(&binary, &AnchorMode::Attribute("objectSid".into())).unwrap();
        assert_eq!(a.immutable_id, BASE64.encode([1, 5, 0, 0]));
    }

    #[test]
    fn the_nickname_comes_from_the_first_source_present() {
        let all = entry(&[
            ("mailNickname", &[b"nick"]),
            (
                "proxyAddresses",
                &[b"smtp:second@x.com", b"SMTP:primary@x.com"],
            ),
            ("mail", &[b"mail@x.com"]),
            ("userPrincipalName", &[b"upn@x.com"]),
        ]);
        assert_eq!(mail_nickname(&all).as_deref(), Some("nick"));
        let no_nick = entry(&[
            (
                "proxyAddresses",
                &[b"smtp:second@x.com", b"SMTP:primary@x.com"],
            ),
            ("mail", &[b"mail@x.com"]),
        ]);
        assert_eq!(mail_nickname(&no_nick).as_deref(), Some("primary"));
        let mail_only = entry(&[
            ("mail", &[b"mail@x.com"]),
            ("userPrincipalName", &[b"upn@x.com"]),
        ]);
        assert_eq!(mail_nickname(&mail_only).as_deref(), Some("mail"));
        let upn_only = entry(&[
            ("userPrincipalName", &[b"upn@x.com"]),
            ("proxyAddresses", &[b"smtp:s@x.com"]),
        ]);
        assert_eq!(mail_nickname(&upn_only).as_deref(), Some("upn"));
        let secondary = entry(&[("proxyAddresses", &[b"smtp:s@x.com"])]);
        assert_eq!(mail_nickname(&secondary).as_deref(), Some("s"));
        assert_eq!(mail_nickname(&entry(&[])), None);
    }

    #[test]
    fn the_tenant_upn_keeps_verified_suffixes_and_falls_back_otherwise() {
        let verified = vec!["contoso.com".to_string()];
        let initial = "contoso.onmicrosoft.com";
        let on_verified = entry(&[("userPrincipalName", &[b"Jane.Doe@Contoso.com"])]);
        assert_eq!(
            tenant_upn(&on_verified, "contoso.test", &verified, initial, None).as_deref(),
            Some("Jane.Doe@Contoso.com")
        );
        let unverified = entry(&[
            ("userPrincipalName", &[b"jdoe@contoso.test"]),
            ("mail", &[b"jane.doe@contoso.com"]),
        ]);
        assert_eq!(
            tenant_upn(&unverified, "contoso.test", &verified, initial, None).as_deref(),
            Some("jane.doe@contoso.onmicrosoft.com")
        );
        let no_upn = entry(&[("sAMAccountName", &[b"jdoe"])]);
        assert_eq!(
            tenant_upn(&no_upn, "contoso.test", &verified, initial, None).as_deref(),
            Some("jdoe@contoso.onmicrosoft.com")
        );
        let no_upn_but_verified_domain = entry(&[("sAMAccountName", &[b"jdoe"])]);
        assert_eq!(
            tenant_upn(
                &no_upn_but_verified_domain,
                "contoso.com",
                &verified,
                initial,
                None
            )
            .as_deref(),
            Some("jdoe@contoso.com")
        );
        // The alternate sign-in ID: mail is the sign-in name when its suffix is verified, with
        // the same fallback when it is not, or when the user has none.
        let by_mail = |e: &Entry| tenant_upn(e, "contoso.test", &verified, initial, Some("mail"));
        assert_eq!(
            by_mail(&unverified).as_deref(),
            Some("jane.doe@contoso.com")
        );
        let unverified_mail = entry(&[
            ("userPrincipalName", &[b"jdoe@contoso.com"]),
            ("mail", &[b"jane.doe@fabrikam.test"]),
        ]);
        assert_eq!(
            by_mail(&unverified_mail).as_deref(),
            Some("jane.doe@contoso.onmicrosoft.com")
        );
        let no_mail = entry(&[
            ("userPrincipalName", &[b"jdoe@contoso.com"]),
            ("sAMAccountName", &[b"jdoe"]),
        ]);
        assert_eq!(
            by_mail(&no_mail).as_deref(),
            Some("jdoe@contoso.onmicrosoft.com")
        );
        let broken = entry(&[
            ("userPrincipalName", &[b"no at sign"]),
            ("mailNickname", &[b"nick name"]),
        ]);
        assert_eq!(
            tenant_upn(&broken, "contoso.test", &verified, initial, None).as_deref(),
            Some("nickname@contoso.onmicrosoft.com")
        );
    }

    #[test]
    fn built_in_exclusions_say_why() {
        let critical = entry(&[("isCriticalSystemObject", &[b"TRUE"])]);
        assert!(builtin_exclusion(&critical).unwrap().contains("critical"));
        let mut cnf = entry(&[]);
        cnf.dn = "CN=Jane\\0ACNF:1234,OU=Users,DC=x".into();
        assert!(builtin_exclusion(&cnf).unwrap().contains("conflict"));
        let msol = entry(&[("sAMAccountName", &[b"MSOL_abc123"])]);
        assert!(builtin_exclusion(&msol).is_some());
        assert!(builtin_exclusion(&entry(&[("sAMAccountName", &[b"jdoe"])])).is_none());
    }

    #[test]
    fn join_keys_pair_sid_with_master_account_sid() {
        let account = entry(&[("objectSid", &[&[1, 2, 3]])]);
        let resource = entry(&[("msExchMasterAccountSID", &[&[1, 2, 3]])]);
        let m = Matching::ObjectSidToMasterAccountSid;
        assert_eq!(join_keys(&resource, &m).0, join_keys(&account, &m).1);
        let a = entry(&[("mail", &[b"Jane@Contoso.com "])]);
        let b = entry(&[("mail", &[b"jane@contoso.com"])]);
        assert_eq!(
            join_keys(&a, &Matching::Mail),
            join_keys(&b, &Matching::Mail)
        );
        assert!(join_keys(&a, &Matching::None).0.is_empty());
    }
}
