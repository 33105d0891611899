//! One object as Samba's password sync loop hands it to its script (`samba-tool user
//! syncpasswords --script`): LDIF of a single entry on stdin. Reads the object's GUID, its
//! account name and, when its password changed, the new password (`virtualClearTextUTF8`,
//! base64 in the LDIF). Pure: nothing here touches the system.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroize as _;

use crate::secret::Secret;

/// The attributes the loop is told to deliver (`--attributes`).
pub const ATTRIBUTES: &str = "objectGUID,sAMAccountName,userPrincipalName,virtualClearTextUTF8";

/// One changed object.
#[derive(Debug)]
pub struct Changed {
    /// Its objectGUID in Active Directory's byte order (what LDAP reads as `objectGUID`).
    pub guid: [u8; 16],
    /// Its userPrincipalName, else its sAMAccountName, when the LDIF carries one (for messages
    /// and the run history only).
    pub account: Option<String>,
    /// Its new password; `None` when the change was not a password change, or the loop could
    /// not decrypt it (the agent says so: that password cannot be delivered).
    pub password: Option<Secret>,
}

/// Why the LDIF cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdifError {
    /// No objectGUID line.
    #[error("the object handed over has no objectGUID")]
    NoGuid,
    /// The objectGUID is not a GUID.
    #[error("the object's objectGUID is not a GUID: {0}")]
    BadGuid(String),
    /// A base64 value does not decode.
    #[error("the value of {0} is not valid base64")]
    BadBase64(String),
    /// The password is not UTF-8 text.
    #[error("the new password of the object is not UTF-8 text")]
    NotUtf8,
}

/// Parses the LDIF of one object. Continuation lines (a leading space) are joined; comments and
/// unknown attributes are skipped.
pub fn parse(text: &str) -> Result<Changed, LdifError> {
    let mut guid = None;
    let mut account = None;
    let mut upn = None;
    let mut password = None;
    for line in unfold(text) {
        let Some((name, value, encoded)) = split(&line) else {
            continue;
        };
        match name.to_ascii_lowercase().as_str() {
            "objectguid" => guid = Some(parse_guid(value, encoded)?),
            "samaccountname" => {
                account = Some(text_value(name, value, encoded)?);
            }
            "userprincipalname" => {
                upn = Some(text_value(name, value, encoded)?);
            }
            "virtualcleartextutf8" => {
                let mut bytes = if encoded {
                    BASE64
                        .decode(value.trim())
                        .map_err(|_| LdifError::BadBase64(name.to_string()))?
                } else {
                    value.as_bytes().to_vec()
                };
                let text = String::from_utf8(std::mem::take(&mut bytes)).map_err(|e| {
                    let mut lost = e.into_bytes();
                    lost.zeroize();
                    LdifError::NotUtf8
                })?;
                password = Some(Secret::new(text));
            }
            _ => {}
        }
    }
    Ok(Changed {
        guid: guid.ok_or(LdifError::NoGuid)?,
        account: upn.or(account),
        password,
    })
}

/// The logical lines: a line that starts with one space continues the one before.
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.lines() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix(' ')
            && let Some(last) = lines.last_mut()
        {
            last.push_str(rest);
        } else if !raw.starts_with('#') {
            lines.push(raw.to_string());
        }
    }
    lines
}

/// `name: value` or `name:: base64`.
fn split(line: &str) -> Option<(&str, &str, bool)> {
    let (name, rest) = line.split_once(':')?;
    Some(match rest.strip_prefix(':') {
        Some(b64) => (name, b64.trim_start(), true),
        None => (name, rest.trim_start(), false),
    })
}

fn text_value(name: &str, value: &str, encoded: bool) -> Result<String, LdifError> {
    if !encoded {
        return Ok(value.to_string());
    }
    let bytes = BASE64
        .decode(value.trim())
        .map_err(|_| LdifError::BadBase64(name.to_string()))?;
    String::from_utf8(bytes).map_err(|_| LdifError::BadBase64(name.to_string()))
}

/// A GUID as text (`5f1c…-…`, how Samba writes it) or as its 16 bytes (base64).
fn parse_guid(value: &str, encoded: bool) -> Result<[u8; 16], LdifError> {
    let bad = || LdifError::BadGuid(value.chars().take(64).collect());
    if encoded {
        let bytes = BASE64.decode(value.trim()).map_err(|_| bad())?;
        return bytes.try_into().map_err(|_| bad());
    }
    let parsed = uuid::Uuid::parse_str(value.trim()).map_err(|_| bad())?;
    // The text form puts the first three fields in reading order; AD keeps them little-endian.
    Ok(parsed.to_bytes_le())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID_TEXT: &str = "2a4b6c8d-1e2f-4a5b-9c8d-7e6f5a4b3c2d";

    #[test]
    fn a_password_change_gives_the_guid_in_ad_order_and_the_password() {
        let ldif = format!(
            "dn: CN=Ann Lee,OU=Staff,DC=contoso,DC=test\nobjectGUID: {GUID_TEXT}\nsAMAccountName: ann\nvirtualClearTextUTF8:: {}\n\n",
            BASE64.encode("Blue-Sky-42")
        );
        let changed = parse(&ldif).expect("parses");
        assert_eq!(
            changed.guid,
            [
                0x8d, 0x6c, 0x4b, 0x2a, 0x2f, 0x1e, 0x5b, 0x4a, 0x9c, 0x8d, 0x7e, 0x6f, 0x5a, 0x4b,
                0x3c, 0x2d
            ]
        );
        assert_eq!(changed.account.as_deref(), Some("ann"));
        let named = parse(&format!(
            "objectGUID: {GUID_TEXT}\nsAMAccountName: ann\nuserPrincipalName: ann.lee@contoso.test\n"
        ))
        .expect("parses");
        assert_eq!(named.account.as_deref(), Some("ann.lee@contoso.test"));
        assert_eq!(
            changed.password.as_ref().map(Secret::expose),
            Some("Blue-Sky-42")
        );
    }

    #[test]
    fn a_folded_value_is_joined_and_other_changes_carry_no_password() {
        let encoded = BASE64.encode("Ünïcödé-Pässwörd-2026-long");
        let (a, b) = encoded.split_at(10);
        let ldif = format!("objectGUID: {GUID_TEXT}\nvirtualClearTextUTF8:: {a}\n {b}\n");
        let changed = parse(&ldif).expect("parses");
        assert_eq!(
            changed.password.as_ref().map(Secret::expose),
            Some("Ünïcödé-Pässwörd-2026-long")
        );
        let plain = parse(&format!(
            "# a comment\nobjectGUID: {GUID_TEXT}\nuserAccountControl: 512\n"
        ))
        .expect("parses");
        assert!(plain.password.is_none());
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        assert_eq!(parse("sAMAccountName: x\n").unwrap_err(), LdifError::NoGuid);
        assert!(matches!(
            parse("objectGUID: nope\n"),
            Err(LdifError::BadGuid(_))
        ));
        assert!(matches!(
            parse(&format!(
                "objectGUID: {GUID_TEXT}\nvirtualClearTextUTF8:: ***\n"
            )),
            Err(LdifError::BadBase64(_))
        ));
        let not_text = BASE64.encode([0xff, 0xfe, 0x00]);
        assert_eq!(
            parse(&format!(
                "objectGUID: {GUID_TEXT}\nvirtualClearTextUTF8:: {not_text}\n"
            ))
            .unwrap_err(),
            LdifError::NotUtf8
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_fails_cleanly(text in "\\PC{0,400}") {
            let _ = parse(&text);
        }
    }
}
