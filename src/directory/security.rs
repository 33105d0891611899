//! Windows security identifiers (SIDs), GUIDs and security descriptors: reading and writing
//! their binary forms (MS-DTYP), as far as granting the connector account its rights needs.
//!
//! A [`SecurityDescriptor`] is read from the self-relative bytes of an object's
//! `nTSecurityDescriptor`; [`SecurityDescriptor::add_ace`] grants a right once (adding it again
//! changes nothing) and [`SecurityDescriptor::dacl_only_bytes`] gives what to write back with the
//! security-descriptor-flags control set to the DACL only. ACEs are kept as raw bytes (type,
//! flags, body), so kinds this module does not know survive a round trip untouched. Every length
//! and offset in bytes from a server is checked: malformed input is a [`SecurityError`], never a
//! panic.

use std::fmt;
use std::str::FromStr;

/// The SID of the built-in Administrators group.
pub const BUILTIN_ADMINISTRATORS: &str = "S-1-5-32-544";
/// The relative identifier of Domain Admins in a domain.
pub const DOMAIN_ADMINS: u32 = 512;
/// The relative identifier of Schema Admins in the forest root domain.
pub const SCHEMA_ADMINS: u32 = 518;
/// The relative identifier of Enterprise Admins in the forest root domain.
pub const ENTERPRISE_ADMINS: u32 = 519;

/// ACE type: ACCESS_ALLOWED_ACE.
pub const ACCESS_ALLOWED_ACE_TYPE: u8 = 0x00;
/// ACE type: ACCESS_DENIED_ACE.
pub const ACCESS_DENIED_ACE_TYPE: u8 = 0x01;
/// ACE type: ACCESS_ALLOWED_OBJECT_ACE.
pub const ACCESS_ALLOWED_OBJECT_ACE_TYPE: u8 = 0x05;
/// ACE type: ACCESS_DENIED_OBJECT_ACE.
pub const ACCESS_DENIED_OBJECT_ACE_TYPE: u8 = 0x06;

/// ACE flag: child objects that are not containers inherit the ACE.
pub const OBJECT_INHERIT: u8 = 0x01;
/// ACE flag: child containers inherit the ACE.
pub const CONTAINER_INHERIT: u8 = 0x02;
/// ACE flag: the ACE applies to children only, not to the object that holds it.
pub const INHERIT_ONLY: u8 = 0x08;
/// ACE flag: the ACE was inherited from a parent rather than set on the object.
pub const INHERITED_ACE: u8 = 0x10;

/// Object-ACE flag: an object type GUID follows.
pub const ACE_OBJECT_TYPE_PRESENT: u32 = 0x1;
/// Object-ACE flag: an inherited object type GUID follows.
pub const ACE_INHERITED_OBJECT_TYPE_PRESENT: u32 = 0x2;

/// Access right: create child objects (of the class in the object type, if any).
pub const ADS_RIGHT_DS_CREATE_CHILD: u32 = 0x1;
/// Access right: delete child objects (of the class in the object type, if any).
pub const ADS_RIGHT_DS_DELETE_CHILD: u32 = 0x2;
/// Access right: read properties (the one in the object type, if any).
pub const ADS_RIGHT_DS_READ_PROPERTY: u32 = 0x10;
/// Access right: write properties (the one in the object type, if any).
pub const ADS_RIGHT_DS_WRITE_PROPERTY: u32 = 0x20;
/// Access right: an extended right, named by the object type GUID.
pub const ADS_RIGHT_DS_CONTROL_ACCESS: u32 = 0x100;
/// Access right: generic read on a directory object.
pub const ADS_RIGHT_GENERIC_READ: u32 = 0x20094;
/// Access right: generic write on a directory object.
pub const ADS_RIGHT_GENERIC_WRITE: u32 = 0x20028;

/// Extended right "Replicating Directory Changes" (DS-Replication-Get-Changes), needed for DirSync.
pub const DS_REPLICATION_GET_CHANGES: &str = "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2";
/// Extended right "Replicating Directory Changes All" (DS-Replication-Get-Changes-All), which
/// reads password hashes. Skybridge never grants it (password synchronization receives new
/// passwords from the agent instead); README says how to take it from older connector accounts.
pub const DS_REPLICATION_GET_CHANGES_ALL: &str = "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2";
/// schemaIDGUID of the `user` class.
pub const USER_CLASS: &str = "bf967aba-0de6-11d0-a285-00aa003049e2";
/// schemaIDGUID of the `group` class.
pub const GROUP_CLASS: &str = "bf967a9c-0de6-11d0-a285-00aa003049e2";
/// schemaIDGUID of the `contact` class.
pub const CONTACT_CLASS: &str = "5cb41ed0-0e4c-11d0-a286-00aa003049e2";
/// schemaIDGUID of the `mS-DS-ConsistencyGuid` attribute.
pub const CONSISTENCY_GUID_ATTRIBUTE: &str = "23773dc2-b63a-11d2-90e1-00c04fd91ab1";

/// Security descriptor control: a DACL is present (a missing one with this bit is a NULL DACL).
pub const SE_DACL_PRESENT: u16 = 0x0004;
/// Security descriptor control: a SACL is present.
pub const SE_SACL_PRESENT: u16 = 0x0010;
/// Security descriptor control: the DACL was set up for automatic inheritance.
pub const SE_DACL_AUTO_INHERITED: u16 = 0x0400;
/// Security descriptor control: the DACL does not inherit from the parent.
pub const SE_DACL_PROTECTED: u16 = 0x1000;
/// Security descriptor control: the descriptor is in self-relative (contiguous) form.
pub const SE_SELF_RELATIVE: u16 = 0x8000;

/// ACL revision for ACLs with only the basic ACE types.
pub const ACL_REVISION: u8 = 2;
/// ACL revision for ACLs holding object ACEs (directory service ACLs).
pub const ACL_REVISION_DS: u8 = 4;

/// The most sub-authorities a SID can have.
const MAX_SUB_AUTHORITIES: usize = 15;
/// Bytes of a SID before its sub-authorities: revision, count, 6-byte authority.
const SID_HEADER: usize = 8;
/// Bytes of a self-relative security descriptor's header.
const SD_HEADER: usize = 20;
/// Bytes of an ACL header.
const ACL_HEADER: usize = 8;
/// Bytes of an ACE header.
const ACE_HEADER: usize = 4;
/// The largest size an ACL or an ACE can state.
const MAX_SIZE: usize = u16::MAX as usize;

/// Why bytes or text could not be read as a SID, GUID or security descriptor, or why a change
/// to one could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecurityError {
    /// Fewer bytes than a SID's fixed header.
    #[error("a SID needs at least 8 bytes, but there are {len}")]
    SidTooShort {
        /// The bytes there were.
        len: usize,
    },
    /// A SID revision other than 1.
    #[error("SID revision {revision} is not 1, the only SID revision there is")]
    SidRevision {
        /// The revision found.
        revision: u8,
    },
    /// More sub-authorities than a SID can have.
    #[error("the SID claims {count} sub-authorities; a SID has at most 15")]
    SidTooManySubAuthorities {
        /// The count found.
        count: usize,
    },
    /// The sub-authorities a SID claims run past the end of the bytes.
    #[error(
        "the SID claims {count} sub-authorities, which take {needed} bytes, but there are {len}"
    )]
    SidTruncated {
        /// The count the SID claims.
        count: usize,
        /// The bytes that count takes.
        needed: usize,
        /// The bytes there were.
        len: usize,
    },
    /// Bytes left over after a SID that should fill them exactly.
    #[error("the SID takes {needed} bytes, but {len} were given")]
    SidTrailingBytes {
        /// The bytes the SID takes.
        needed: usize,
        /// The bytes given.
        len: usize,
    },
    /// Text that is not a SID in the `S-1-…` form.
    #[error("'{text}' is not a SID: {reason} (expected the form S-1-5-21-…)")]
    InvalidSidText {
        /// The text.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Text that is not a GUID in the `8-4-4-4-12` hex form.
    #[error("'{text}' is not a GUID (expected the form 1131f6aa-9c07-11d1-f79f-00c04fc2dcd2)")]
    InvalidGuidText {
        /// The text.
        text: String,
    },
    /// Fewer bytes than a security descriptor's header.
    #[error("a security descriptor needs a 20-byte header, but there are {len} bytes")]
    SdTooShort {
        /// The bytes there were.
        len: usize,
    },
    /// A security descriptor revision other than 1.
    #[error("security descriptor revision {revision} is not 1")]
    SdRevision {
        /// The revision found.
        revision: u8,
    },
    /// A security descriptor not in self-relative form.
    #[error(
        "the security descriptor is not in self-relative form (its control 0x{control:04x} \
         lacks SE_SELF_RELATIVE 0x8000)"
    )]
    NotSelfRelative {
        /// The control field.
        control: u16,
    },
    /// An offset in the header that points into the header or past the end.
    #[error(
        "the {part} offset {offset} points outside the security descriptor's body \
         (bytes 20 to {len})"
    )]
    BadOffset {
        /// Which part: owner, group, SACL or DACL.
        part: &'static str,
        /// The offset found.
        offset: u32,
        /// The descriptor's length.
        len: usize,
    },
    /// Something wrong inside one part of a security descriptor.
    #[error("in the {part}: {error}")]
    InPart {
        /// Which part: owner, group, SACL or DACL.
        part: &'static str,
        /// What is wrong there.
        error: Box<SecurityError>,
    },
    /// Fewer bytes than an ACL header.
    #[error("an ACL needs an 8-byte header, but only {available} bytes remain")]
    AclTooShort {
        /// The bytes that remain.
        available: usize,
    },
    /// An ACL revision this module does not know.
    #[error("ACL revision {revision} is not one of 2, 3 or 4")]
    AclRevision {
        /// The revision found.
        revision: u8,
    },
    /// An ACL size smaller than its own header.
    #[error("the ACL's size field says {size} bytes, less than its own 8-byte header")]
    AclSizeTooSmall {
        /// The size field.
        size: u16,
    },
    /// An ACL size that runs past the end of the security descriptor.
    #[error(
        "the ACL's size field says {size} bytes, but only {available} remain in the security \
         descriptor"
    )]
    AclBeyondEnd {
        /// The size field.
        size: u16,
        /// The bytes that remain.
        available: usize,
    },
    /// An ACE whose header does not fit in what is left of its ACL.
    #[error(
        "ACE {} of {count} starts too near the end of the ACL to hold its 4-byte header",
        .index + 1
    )]
    AceHeaderTruncated {
        /// The ACE's position, from 0.
        index: usize,
        /// The ACE count the ACL claims.
        count: u16,
    },
    /// An ACE size smaller than its own header.
    #[error("ACE {}'s size field says {size} bytes, less than its own 4-byte header", .index + 1)]
    AceSizeTooSmall {
        /// The ACE's position, from 0.
        index: usize,
        /// The size field.
        size: u16,
    },
    /// An ACE size that runs past the end of its ACL.
    #[error(
        "ACE {}'s size field says {size} bytes, but only {available} remain in the ACL",
        .index + 1
    )]
    AceBeyondAcl {
        /// The ACE's position, from 0.
        index: usize,
        /// The size field.
        size: u16,
        /// The bytes that remain in the ACL.
        available: usize,
    },
    /// An ACE too large for its 16-bit size field.
    #[error("an ACE of {size} bytes is larger than the 65,535 bytes an ACE can have")]
    AceTooLarge {
        /// The ACE's size.
        size: usize,
    },
    /// A DACL that would grow past its 16-bit size field.
    #[error("the DACL would grow to {size} bytes, more than the 65,535 bytes an ACL can hold")]
    AclTooLarge {
        /// The size it would have.
        size: usize,
    },
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let field = bytes.get(at..at.checked_add(2)?)?;
    field.try_into().ok().map(u16::from_le_bytes)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at.checked_add(4)?)?;
    field.try_into().ok().map(u32::from_le_bytes)
}

fn guid_at(bytes: &[u8], at: usize) -> Option<[u8; 16]> {
    bytes.get(at..at.checked_add(16)?)?.try_into().ok()
}

/// A Windows security identifier: revision, 48-bit identifier authority and sub-authorities.
/// Shown and read as text in the `S-1-5-21-…` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid {
    revision: u8,
    authority: [u8; 6],
    sub_authorities: Vec<u32>,
}

impl Sid {
    /// Reads a SID that fills `bytes` exactly, such as an `objectSid` value.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sid, SecurityError> {
        let (sid, needed) = Sid::read(bytes)?;
        if needed != bytes.len() {
            return Err(SecurityError::SidTrailingBytes {
                needed,
                len: bytes.len(),
            });
        }
        Ok(sid)
    }

    /// Reads a SID at the start of `bytes`; returns it and the bytes it took.
    fn read(bytes: &[u8]) -> Result<(Sid, usize), SecurityError> {
        let len = bytes.len();
        let header = bytes
            .get(..SID_HEADER)
            .ok_or(SecurityError::SidTooShort { len })?;
        let (&revision, &count, authority) = match header {
            [revision, count, authority @ ..] => (revision, count, authority),
            [] | [_] => return Err(SecurityError::SidTooShort { len }),
        };
        if revision != 1 {
            return Err(SecurityError::SidRevision { revision });
        }
        let count = usize::from(count);
        if count > MAX_SUB_AUTHORITIES {
            return Err(SecurityError::SidTooManySubAuthorities { count });
        }
        let needed = SID_HEADER + 4 * count;
        let body = bytes
            .get(SID_HEADER..needed)
            .ok_or(SecurityError::SidTruncated { count, needed, len })?;
        let sub_authorities = body
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok().map(u32::from_le_bytes))
            .collect();
        let authority = authority
            .try_into()
            .map_err(|_| SecurityError::SidTooShort { len })?;
        Ok((
            Sid {
                revision,
                authority,
                sub_authorities,
            },
            needed,
        ))
    }

    /// The binary form, as in `objectSid` and in ACEs.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A SID from this module never has more than 255 sub-authorities unless built up with
        // `with_rid` hundreds of times; the count byte and the bytes written always agree.
        let count = u8::try_from(self.sub_authorities.len()).unwrap_or(u8::MAX);
        let mut out = Vec::with_capacity(SID_HEADER + 4 * usize::from(count));
        out.push(self.revision);
        out.push(count);
        out.extend_from_slice(&self.authority);
        for sub in self.sub_authorities.iter().take(usize::from(count)) {
            out.extend_from_slice(&sub.to_le_bytes());
        }
        out
    }

    /// The revision (always 1 for a SID read by this module).
    pub fn revision(&self) -> u8 {
        self.revision
    }

    /// The identifier authority (5 for NT Authority).
    pub fn authority(&self) -> u64 {
        self.authority
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    }

    /// The sub-authorities, in order.
    pub fn sub_authorities(&self) -> &[u32] {
        &self.sub_authorities
    }

    /// The relative identifier: the last sub-authority, if there is one.
    pub fn rid(&self) -> Option<u32> {
        self.sub_authorities.last().copied()
    }

    /// This SID with `rid` appended: a domain SID and a RID give the SID of an account or group
    /// in that domain. (A SID holds at most 15 sub-authorities; Windows refuses longer ones.)
    pub fn with_rid(&self, rid: u32) -> Sid {
        let mut sid = self.clone();
        sid.sub_authorities.push(rid);
        sid
    }

    /// This SID without its last sub-authority: for an account, its domain's SID. `None` for a
    /// SID without sub-authorities.
    pub fn domain(&self) -> Option<Sid> {
        let (_, domain) = self.sub_authorities.split_last()?;
        Some(Sid {
            revision: self.revision,
            authority: self.authority,
            sub_authorities: domain.to_vec(),
        })
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let authority = self.authority();
        write!(f, "S-{}-", self.revision)?;
        if authority >> 32 == 0 {
            write!(f, "{authority}")?;
        } else {
            write!(f, "0x{authority:012X}")?;
        }
        for sub in &self.sub_authorities {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

/// Reads a decimal number of digits only (no sign, no spaces).
fn decimal<T: FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl FromStr for Sid {
    type Err = SecurityError;

    /// Reads the `S-1-5-21-…` form; the authority may be decimal or `0x` and 12 hex digits.
    fn from_str(text: &str) -> Result<Sid, SecurityError> {
        let invalid = |reason| SecurityError::InvalidSidText {
            text: text.to_string(),
            reason,
        };
        let mut parts = text.split('-');
        if !matches!(parts.next(), Some("S" | "s")) {
            return Err(invalid("it does not start with 'S-'"));
        }
        let revision = parts
            .next()
            .and_then(decimal::<u8>)
            .ok_or_else(|| invalid("the revision is not a number"))?;
        if revision != 1 {
            return Err(invalid("the revision is not 1"));
        }
        let authority_text = parts
            .next()
            .ok_or_else(|| invalid("it has no identifier authority"))?;
        let authority = match authority_text
            .strip_prefix("0x")
            .or_else(|| authority_text.strip_prefix("0X"))
        {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u64::from_str_radix(hex, 16).ok()
            }
            Some(_) => None,
            None => decimal::<u64>(authority_text),
        }
        .filter(|a| a >> 48 == 0)
        .ok_or_else(|| invalid("the identifier authority is not a number below 2^48"))?;
        let mut sub_authorities = Vec::new();
        for part in parts {
            let sub = decimal::<u32>(part)
                .ok_or_else(|| invalid("a sub-authority is not a number from 0 to 4294967295"))?;
            sub_authorities.push(sub);
        }
        if sub_authorities.len() > MAX_SUB_AUTHORITIES {
            return Err(invalid("it has more than 15 sub-authorities"));
        }
        let [_, _, authority @ ..] = authority.to_be_bytes();
        Ok(Sid {
            revision,
            authority,
            sub_authorities,
        })
    }
}

/// The Microsoft text form of a GUID held in its binary form (as in `objectGUID` and in ACEs):
/// the first three fields are stored little-endian, so bytes `78 56 34 12 34 12 78 56 …` read
/// `12345678-1234-5678-…`. Lowercase, without braces.
pub fn guid_to_string(bytes: &[u8; 16]) -> String {
    let [a0, a1, a2, a3, b0, b1, c0, c1, d0, d1, e @ ..] = *bytes;
    let mut out = String::with_capacity(36);
    let hex = |out: &mut String, group: &[u8]| {
        for b in group {
            out.push_str(&format!("{b:02x}"));
        }
    };
    hex(&mut out, &[a3, a2, a1, a0]);
    out.push('-');
    hex(&mut out, &[b1, b0]);
    out.push('-');
    hex(&mut out, &[c1, c0]);
    out.push('-');
    hex(&mut out, &[d0, d1]);
    out.push('-');
    hex(&mut out, &e);
    out
}

/// Reads a GUID in the `8-4-4-4-12` hex form (either case, braces allowed) into its binary form,
/// the inverse of [`guid_to_string`].
pub fn guid_from_string(text: &str) -> Result<[u8; 16], SecurityError> {
    let invalid = || SecurityError::InvalidGuidText {
        text: text.to_string(),
    };
    let trimmed = text.trim();
    let inner = match trimmed.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}').ok_or_else(invalid)?,
        None => trimmed,
    };
    if inner.len() != 36 {
        return Err(invalid());
    }
    let mut digits = Vec::with_capacity(32);
    for (i, b) in inner.bytes().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return Err(invalid());
            }
        } else {
            let digit = char::from(b).to_digit(16).ok_or_else(invalid)?;
            digits.push(u8::try_from(digit).map_err(|_| invalid())?);
        }
    }
    let mut text_order = [0u8; 16];
    for (byte, pair) in text_order.iter_mut().zip(digits.chunks_exact(2)) {
        if let [high, low] = pair {
            *byte = (high << 4) | low;
        }
    }
    let [a0, a1, a2, a3, b0, b1, c0, c1, rest @ ..] = text_order;
    let mut out = [0u8; 16];
    for (slot, b) in out
        .iter_mut()
        .zip([a3, a2, a1, a0, b1, b0, c1, c0].into_iter().chain(rest))
    {
        *slot = b;
    }
    Ok(out)
}

/// One access control entry, kept as its raw parts so that any ACE type survives a round trip.
/// Built with [`Ace::allow`] or [`Ace::allow_object`], or from parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ace {
    ace_type: u8,
    flags: u8,
    body: Vec<u8>,
}

impl Ace {
    /// An ACE from its type, flags and the bytes after its 4-byte header.
    pub fn from_parts(ace_type: u8, flags: u8, body: Vec<u8>) -> Result<Ace, SecurityError> {
        let size = ACE_HEADER + body.len();
        if size > MAX_SIZE {
            return Err(SecurityError::AceTooLarge { size });
        }
        Ok(Ace {
            ace_type,
            flags,
            body,
        })
    }

    /// An ACCESS_ALLOWED_ACE granting `mask` to `trustee`, with ACE `flags` such as
    /// [`CONTAINER_INHERIT`].
    pub fn allow(trustee: &Sid, mask: u32, flags: u8) -> Ace {
        let mut body = mask.to_le_bytes().to_vec();
        body.extend_from_slice(&trustee.to_bytes());
        Ace {
            ace_type: ACCESS_ALLOWED_ACE_TYPE,
            flags,
            body,
        }
    }

    /// An ACCESS_ALLOWED_OBJECT_ACE granting `mask` to `trustee`, limited to the property, class
    /// or extended right `object_type` and applying to objects of class `inherited_object_type`,
    /// each given in binary form (see [`guid_from_string`]); ACE `flags` such as
    /// [`CONTAINER_INHERIT`] | [`INHERIT_ONLY`].
    pub fn allow_object(
        trustee: &Sid,
        mask: u32,
        object_type: Option<[u8; 16]>,
        inherited_object_type: Option<[u8; 16]>,
        flags: u8,
    ) -> Ace {
        let mut object_flags = 0;
        if object_type.is_some() {
            object_flags |= ACE_OBJECT_TYPE_PRESENT;
        }
        if inherited_object_type.is_some() {
            object_flags |= ACE_INHERITED_OBJECT_TYPE_PRESENT;
        }
        let mut body = mask.to_le_bytes().to_vec();
        body.extend_from_slice(&object_flags.to_le_bytes());
        for guid in [object_type, inherited_object_type].into_iter().flatten() {
            body.extend_from_slice(&guid);
        }
        body.extend_from_slice(&trustee.to_bytes());
        Ace {
            ace_type: ACCESS_ALLOWED_OBJECT_ACE_TYPE,
            flags,
            body,
        }
    }

    /// The ACE type (such as [`ACCESS_ALLOWED_OBJECT_ACE_TYPE`]).
    pub fn ace_type(&self) -> u8 {
        self.ace_type
    }

    /// The ACE flags (such as [`CONTAINER_INHERIT`]).
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// The bytes after the 4-byte header.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The size of the ACE in bytes, header included.
    pub fn size(&self) -> usize {
        ACE_HEADER + self.body.len()
    }

    /// Whether this is one of the object ACE types, which carry GUIDs and need ACL revision 4.
    pub fn is_object_ace(&self) -> bool {
        matches!(self.ace_type, 0x05..=0x08 | 0x0b | 0x0c | 0x0f | 0x10)
    }

    /// Whether the ACE was inherited from a parent.
    pub fn is_inherited(&self) -> bool {
        self.flags & INHERITED_ACE != 0
    }

    /// Whether the ACE denies access.
    pub fn is_deny(&self) -> bool {
        matches!(self.ace_type, 0x01 | 0x06 | 0x0a | 0x0c)
    }

    /// The access mask, for the standard ACE types (all begin with it).
    pub fn mask(&self) -> Option<u32> {
        if self.ace_type > 0x13 || self.ace_type == 0x04 {
            return None;
        }
        u32_at(&self.body, 0)
    }

    /// Where the SID begins in the body, and for object ACEs the object flags.
    fn sid_offset(&self) -> Option<usize> {
        if self.ace_type > 0x13 || self.ace_type == 0x04 {
            return None;
        }
        if !self.is_object_ace() {
            return Some(4);
        }
        let object_flags = u32_at(&self.body, 4)?;
        let mut at = 8;
        if object_flags & ACE_OBJECT_TYPE_PRESENT != 0 {
            at += 16;
        }
        if object_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT != 0 {
            at += 16;
        }
        Some(at)
    }

    /// The SID the ACE grants or denies to, for the standard ACE types.
    pub fn trustee(&self) -> Option<Sid> {
        let at = self.sid_offset()?;
        Sid::read(self.body.get(at..)?).ok().map(|(sid, _)| sid)
    }

    /// For an object ACE, the object type GUID (property, class or extended right), if present.
    pub fn object_type(&self) -> Option<[u8; 16]> {
        if !self.is_object_ace() {
            return None;
        }
        let object_flags = u32_at(&self.body, 4)?;
        if object_flags & ACE_OBJECT_TYPE_PRESENT == 0 {
            return None;
        }
        guid_at(&self.body, 8)
    }

    /// For an object ACE, the inherited object type GUID (the class it applies to), if present.
    pub fn inherited_object_type(&self) -> Option<[u8; 16]> {
        if !self.is_object_ace() {
            return None;
        }
        let object_flags = u32_at(&self.body, 4)?;
        if object_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT == 0 {
            return None;
        }
        let at = if object_flags & ACE_OBJECT_TYPE_PRESENT != 0 {
            24
        } else {
            8
        };
        guid_at(&self.body, at)
    }

    fn write(&self, out: &mut Vec<u8>) {
        // `from_parts` and the constructors keep every ACE within the 16-bit size.
        let size = u16::try_from(self.size()).unwrap_or(u16::MAX);
        out.push(self.ace_type);
        out.push(self.flags);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&self.body);
    }
}

/// An access control list: its revision and its ACEs in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Acl {
    revision: u8,
    aces: Vec<Ace>,
}

impl Acl {
    /// The ACL revision: [`ACL_REVISION`], or [`ACL_REVISION_DS`] when object ACEs are allowed.
    pub fn revision(&self) -> u8 {
        self.revision
    }

    /// The ACEs, in the order they are evaluated.
    pub fn aces(&self) -> &[Ace] {
        &self.aces
    }

    /// The size of the ACL in bytes, header included.
    pub fn size(&self) -> usize {
        ACL_HEADER + self.aces.iter().map(Ace::size).sum::<usize>()
    }

    /// Reads an ACL at the start of `bytes` (which may go on past it).
    fn read(bytes: &[u8]) -> Result<Acl, SecurityError> {
        let available = bytes.len();
        let header = bytes
            .get(..ACL_HEADER)
            .ok_or(SecurityError::AclTooShort { available })?;
        let (revision, size, count) = match (header.first(), u16_at(header, 2), u16_at(header, 4)) {
            (Some(&revision), Some(size), Some(count)) => (revision, size, count),
            _ => return Err(SecurityError::AclTooShort { available }),
        };
        if !(2..=4).contains(&revision) {
            return Err(SecurityError::AclRevision { revision });
        }
        if usize::from(size) < ACL_HEADER {
            return Err(SecurityError::AclSizeTooSmall { size });
        }
        let acl = bytes
            .get(..usize::from(size))
            .ok_or(SecurityError::AclBeyondEnd { size, available })?;
        let mut aces = Vec::new();
        let mut at = ACL_HEADER;
        for index in 0..usize::from(count) {
            let (Some(&ace_type), Some(&flags), Some(ace_size)) =
                (acl.get(at), acl.get(at + 1), u16_at(acl, at + 2))
            else {
                return Err(SecurityError::AceHeaderTruncated { index, count });
            };
            if usize::from(ace_size) < ACE_HEADER {
                return Err(SecurityError::AceSizeTooSmall {
                    index,
                    size: ace_size,
                });
            }
            let end = at + usize::from(ace_size);
            let body = acl
                .get(at + ACE_HEADER..end)
                .ok_or(SecurityError::AceBeyondAcl {
                    index,
                    size: ace_size,
                    available: acl.len() - at,
                })?;
            aces.push(Ace {
                ace_type,
                flags,
                body: body.to_vec(),
            });
            at = end;
        }
        Ok(Acl { revision, aces })
    }

    fn write(&self, out: &mut Vec<u8>) {
        // Parsed ACLs fit in their 16-bit size by construction and `try_add_ace` refuses to
        // grow one past it, so neither conversion below saturates.
        let size = u16::try_from(self.size()).unwrap_or(u16::MAX);
        let count = u16::try_from(self.aces.len()).unwrap_or(u16::MAX);
        out.push(self.revision);
        out.push(0);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        for ace in &self.aces {
            ace.write(out);
        }
    }
}

/// A security descriptor (MS-DTYP 2.4.6): control flags, owner, group, SACL and DACL.
///
/// A DACL or SACL is `None` when the control does not mark it present, or when it is marked
/// present with no ACL at all (a NULL ACL, which for a DACL grants everyone everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityDescriptor {
    sbz1: u8,
    control: u16,
    owner: Option<Sid>,
    group: Option<Sid>,
    sacl: Option<Acl>,
    dacl: Option<Acl>,
}

/// Reads the part of a security descriptor at `offset` (0: absent).
fn read_part<T>(
    bytes: &[u8],
    offset: u32,
    part: &'static str,
    read: impl Fn(&[u8]) -> Result<T, SecurityError>,
) -> Result<Option<T>, SecurityError> {
    if offset == 0 {
        return Ok(None);
    }
    let len = bytes.len();
    let rest = usize::try_from(offset)
        .ok()
        .filter(|&at| at >= SD_HEADER)
        .and_then(|at| bytes.get(at..))
        .filter(|rest| !rest.is_empty())
        .ok_or(SecurityError::BadOffset { part, offset, len })?;
    read(rest).map(Some).map_err(|error| SecurityError::InPart {
        part,
        error: Box::new(error),
    })
}

impl SecurityDescriptor {
    /// Reads a self-relative security descriptor, such as an `nTSecurityDescriptor` value.
    pub fn from_bytes(bytes: &[u8]) -> Result<SecurityDescriptor, SecurityError> {
        let len = bytes.len();
        let (revision, sbz1, control, offsets) = match (
            bytes.first(),
            bytes.get(1),
            u16_at(bytes, 2),
            [4, 8, 12, 16].map(|at| u32_at(bytes, at)),
        ) {
            (Some(&revision), Some(&sbz1), Some(control), [Some(o), Some(g), Some(s), Some(d)]) => {
                (revision, sbz1, control, [o, g, s, d])
            }
            _ => return Err(SecurityError::SdTooShort { len }),
        };
        if revision != 1 {
            return Err(SecurityError::SdRevision { revision });
        }
        if control & SE_SELF_RELATIVE == 0 {
            return Err(SecurityError::NotSelfRelative { control });
        }
        let [owner_offset, group_offset, sacl_offset, dacl_offset] = offsets;
        let sid = |b: &[u8]| Sid::read(b).map(|(sid, _)| sid);
        let owner = read_part(bytes, owner_offset, "owner", sid)?;
        let group = read_part(bytes, group_offset, "group", sid)?;
        // An ACL counts only when the control marks it present; an offset without the flag is
        // ignored, as Windows ignores it.
        let sacl = if control & SE_SACL_PRESENT != 0 {
            read_part(bytes, sacl_offset, "SACL", Acl::read)?
        } else {
            None
        };
        let dacl = if control & SE_DACL_PRESENT != 0 {
            read_part(bytes, dacl_offset, "DACL", Acl::read)?
        } else {
            None
        };
        Ok(SecurityDescriptor {
            sbz1,
            control,
            owner,
            group,
            sacl,
            dacl,
        })
    }

    /// The self-relative bytes of the whole descriptor, laid out as Windows lays it out (SACL,
    /// DACL, owner, group, with no gaps): for such input, the bytes it was read from.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut control = self.control | SE_SELF_RELATIVE;
        if self.sacl.is_some() {
            control |= SE_SACL_PRESENT;
        }
        if self.dacl.is_some() {
            control |= SE_DACL_PRESENT;
        }
        let mut out = vec![0u8; SD_HEADER];
        let mut offsets = [0u32; 4];
        if let Some(sacl) = &self.sacl {
            offsets[2] = offset_of(&out);
            sacl.write(&mut out);
        }
        if let Some(dacl) = &self.dacl {
            offsets[3] = offset_of(&out);
            dacl.write(&mut out);
        }
        if let Some(owner) = &self.owner {
            offsets[0] = offset_of(&out);
            out.extend_from_slice(&owner.to_bytes());
        }
        if let Some(group) = &self.group {
            offsets[1] = offset_of(&out);
            out.extend_from_slice(&group.to_bytes());
        }
        let mut header = vec![1, self.sbz1];
        header.extend_from_slice(&control.to_le_bytes());
        for offset in offsets {
            header.extend_from_slice(&offset.to_le_bytes());
        }
        for (slot, b) in out.iter_mut().zip(header) {
            *slot = b;
        }
        out
    }

    /// A self-relative descriptor holding only the DACL: control SE_DACL_PRESENT and
    /// SE_SELF_RELATIVE, with the original's SE_DACL_PROTECTED and SE_DACL_AUTO_INHERITED bits;
    /// no owner, group or SACL. This is what Active Directory takes when written with the
    /// security-descriptor-flags control set to the DACL only.
    pub fn dacl_only_bytes(&self) -> Vec<u8> {
        let kept = self.control & (SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED | SE_DACL_PRESENT);
        SecurityDescriptor {
            sbz1: 0,
            control: SE_SELF_RELATIVE | kept,
            owner: None,
            group: None,
            sacl: None,
            dacl: self.dacl.clone(),
        }
        .to_bytes()
    }

    /// The control flags (such as [`SE_DACL_PROTECTED`]).
    pub fn control(&self) -> u16 {
        self.control
    }

    /// The owner, if the descriptor holds one.
    pub fn owner(&self) -> Option<&Sid> {
        self.owner.as_ref()
    }

    /// The primary group, if the descriptor holds one.
    pub fn group(&self) -> Option<&Sid> {
        self.group.as_ref()
    }

    /// The system ACL (auditing), if the descriptor holds one.
    pub fn sacl(&self) -> Option<&Acl> {
        self.sacl.as_ref()
    }

    /// The discretionary ACL (access), if the descriptor holds one.
    pub fn dacl(&self) -> Option<&Acl> {
        self.dacl.as_ref()
    }

    /// Whether the DACL holds exactly this ACE (same type, flags and body).
    pub fn has_ace(&self, ace: &Ace) -> bool {
        self.dacl
            .as_ref()
            .is_some_and(|dacl| dacl.aces.contains(ace))
    }

    /// Adds `ace` to the DACL unless it is already there; see [`Self::try_add_ace`]. An ACE
    /// that would grow the DACL past the 64 KiB an ACL can hold is not added: use
    /// `try_add_ace` where that must be reported.
    pub fn add_ace(&mut self, ace: Ace) {
        // The only error is a DACL already at its size limit, documented above.
        let _ = self.try_add_ace(ace);
    }

    /// Adds `ace` to the DACL unless an identical ACE is already there; `Ok(true)` if it was
    /// added. The ACE goes after the explicit ACEs of its kind and before inherited ones (deny
    /// after the explicit denies, allow after all explicit ACEs), keeping the canonical order
    /// Windows expects. The ACL revision becomes [`ACL_REVISION_DS`] when it holds object ACEs.
    /// A descriptor without a DACL gets one holding just this ACE.
    pub fn try_add_ace(&mut self, ace: Ace) -> Result<bool, SecurityError> {
        if self.has_ace(&ace) {
            return Ok(false);
        }
        let size = self.dacl.as_ref().map_or(ACL_HEADER, Acl::size) + ace.size();
        if size > MAX_SIZE {
            return Err(SecurityError::AclTooLarge { size });
        }
        let dacl = self.dacl.get_or_insert_with(|| Acl {
            revision: ACL_REVISION,
            aces: Vec::new(),
        });
        let explicit_end = dacl
            .aces
            .iter()
            .position(Ace::is_inherited)
            .unwrap_or(dacl.aces.len());
        let at = if ace.is_deny() {
            dacl.aces
                .get(..explicit_end)
                .unwrap_or_default()
                .iter()
                .position(|a| !a.is_deny())
                .unwrap_or(explicit_end)
        } else {
            explicit_end
        };
        if ace.is_object_ace() {
            dacl.revision = dacl.revision.max(ACL_REVISION_DS);
        }
        dacl.aces.insert(at, ace);
        self.control |= SE_DACL_PRESENT;
        Ok(true)
    }
}

/// The offset of the next byte written to `out`, as a header field.
fn offset_of(out: &[u8]) -> u32 {
    // A descriptor holds at most two 64 KiB ACLs and two small SIDs.
    u32::try_from(out.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN_ADMINS_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-512";

    fn sid(text: &str) -> Sid {
        text.parse().unwrap()
    }

    fn guid(text: &str) -> [u8; 16] {
        guid_from_string(text).unwrap()
    }

    #[test]
    fn sid_text_and_bytes_round_trip() {
        for text in [
            DOMAIN_ADMINS_SID,
            BUILTIN_ADMINISTRATORS,
            "S-1-5-18",
            "S-1-1-0",
            "S-1-5",
        ] {
            let sid = sid(text);
            assert_eq!(sid.to_string(), text);
            assert_eq!(Sid::from_bytes(&sid.to_bytes()).unwrap(), sid);
        }
    }

    #[test]
    fn sid_binary_layout() {
        let admins = sid(BUILTIN_ADMINISTRATORS);
        assert_eq!(
            admins.to_bytes(),
            [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0]
        );
        assert_eq!(admins.authority(), 5);
        assert_eq!(admins.sub_authorities(), &[32, 544]);
        let big = sid("S-1-0x0000FFFFFFFF01-7");
        assert_eq!(big.to_bytes()[2..8], [0, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(big.to_string(), "S-1-0x00FFFFFFFF01-7");
        assert_eq!(sid("S-1-4294967296-1").to_string(), "S-1-0x000100000000-1");
    }

    #[test]
    fn sid_rid_and_domain() {
        let admins = sid(DOMAIN_ADMINS_SID);
        assert_eq!(admins.rid(), Some(DOMAIN_ADMINS));
        let domain = admins.domain().unwrap();
        assert_eq!(
            domain.to_string(),
            "S-1-5-21-1004336348-1177238915-682003330"
        );
        assert_eq!(domain.with_rid(DOMAIN_ADMINS), admins);
        assert_eq!(
            domain.with_rid(ENTERPRISE_ADMINS).to_string(),
            "S-1-5-21-1004336348-1177238915-682003330-519"
        );
        assert_eq!(sid("S-1-5").rid(), None);
        assert_eq!(sid("S-1-5").domain(), None);
    }

    #[test]
    fn bad_sid_text_is_an_error() {
        for text in [
            "",
            "S",
            "S-",
            "S-1",
            "X-1-5-32",
            "S-2-5-32",
            "S-1--32",
            "S-1-5-",
            "S-1-5-32-",
            "S-1-5-+32",
            "S-1-5- 32",
            "S-1-5-4294967296",
            "S-1-5-abc",
            "S-1-281474976710656-1",
            "S-1-0x1000000000000-1",
            "S-1-0x-1",
            "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
            "S-1-5-21-1004336348-1177238915-682003330-512 ",
        ] {
            let err = text.parse::<Sid>().unwrap_err();
            assert!(
                matches!(err, SecurityError::InvalidSidText { .. }),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn truncated_or_bad_sid_bytes_are_errors() {
        let bytes = sid(DOMAIN_ADMINS_SID).to_bytes();
        for n in 0..bytes.len() {
            assert!(Sid::from_bytes(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Sid::from_bytes(&longer),
            Err(SecurityError::SidTrailingBytes { .. })
        ));
        let mut bad_revision = bytes.clone();
        bad_revision[0] = 2;
        assert_eq!(
            Sid::from_bytes(&bad_revision),
            Err(SecurityError::SidRevision { revision: 2 })
        );
        let mut too_many = bytes;
        too_many[1] = 16;
        assert_eq!(
            Sid::from_bytes(&too_many),
            Err(SecurityError::SidTooManySubAuthorities { count: 16 })
        );
    }

    #[test]
    fn guid_layout_and_round_trip() {
        let bytes = [
            0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23,
            0x45, 0x67,
        ];
        assert_eq!(
            guid_to_string(&bytes),
            "12345678-1234-5678-9abc-def001234567"
        );
        assert_eq!(
            guid_from_string("12345678-1234-5678-9ABC-DEF001234567").unwrap(),
            bytes
        );
        assert_eq!(
            guid_from_string("{12345678-1234-5678-9abc-def001234567}").unwrap(),
            bytes
        );
        for text in [
            DS_REPLICATION_GET_CHANGES,
            DS_REPLICATION_GET_CHANGES_ALL,
            USER_CLASS,
            GROUP_CLASS,
            CONTACT_CLASS,
            CONSISTENCY_GUID_ATTRIBUTE,
        ] {
            assert_eq!(guid_to_string(&guid(text)), text);
        }
        // The user class as it appears in an ACE.
        assert_eq!(
            guid(USER_CLASS),
            [
                0xba, 0x7a, 0x96, 0xbf, 0xe6, 0x0d, 0xd0, 0x11, 0xa2, 0x85, 0x00, 0xaa, 0x00, 0x30,
                0x49, 0xe2
            ]
        );
    }

    #[test]
    fn bad_guid_text_is_an_error() {
        for text in [
            "",
            "12345678123456789abcdef001234567",
            "12345678-1234-5678-9abc-def00123456",
            "12345678-1234-5678-9abc-def0012345678",
            "12345678-1234-5678-9abc_def001234567",
            "1234567g-1234-5678-9abc-def001234567",
            "{12345678-1234-5678-9abc-def001234567",
            "12345678-1234-5678-9abc-def0012345é",
            "+2345678-1234-5678-9abc-def001234567",
        ] {
            assert!(guid_from_string(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn object_ace_layout() {
        let trustee = sid("S-1-5-21-1-2-3-1105");
        let ace = Ace::allow_object(
            &trustee,
            ADS_RIGHT_DS_WRITE_PROPERTY,
            Some(guid(CONSISTENCY_GUID_ATTRIBUTE)),
            Some(guid(USER_CLASS)),
            CONTAINER_INHERIT | INHERIT_ONLY,
        );
        assert_eq!(ace.ace_type(), 0x05);
        assert_eq!(ace.flags(), 0x0a);
        assert_eq!(&ace.body()[..4], &[0x20, 0, 0, 0]);
        assert_eq!(&ace.body()[4..8], &[3, 0, 0, 0]);
        assert_eq!(&ace.body()[8..24], &guid(CONSISTENCY_GUID_ATTRIBUTE));
        assert_eq!(&ace.body()[24..40], &guid(USER_CLASS));
        assert_eq!(&ace.body()[40..], trustee.to_bytes().as_slice());
        assert_eq!(ace.size(), 4 + 8 + 32 + 28);
        assert_eq!(ace.trustee(), Some(trustee.clone()));
        assert_eq!(ace.mask(), Some(ADS_RIGHT_DS_WRITE_PROPERTY));
        assert_eq!(ace.object_type(), Some(guid(CONSISTENCY_GUID_ATTRIBUTE)));
        assert_eq!(ace.inherited_object_type(), Some(guid(USER_CLASS)));

        let only_inherited = Ace::allow_object(
            &trustee,
            ADS_RIGHT_DS_WRITE_PROPERTY,
            None,
            Some(guid(GROUP_CLASS)),
            0,
        );
        assert_eq!(&only_inherited.body()[4..8], &[2, 0, 0, 0]);
        assert_eq!(only_inherited.object_type(), None);
        assert_eq!(
            only_inherited.inherited_object_type(),
            Some(guid(GROUP_CLASS))
        );
        assert_eq!(only_inherited.trustee(), Some(trustee.clone()));

        let plain = Ace::allow(&trustee, ADS_RIGHT_GENERIC_READ, CONTAINER_INHERIT);
        assert_eq!(plain.ace_type(), 0x00);
        assert_eq!(&plain.body()[..4], &ADS_RIGHT_GENERIC_READ.to_le_bytes());
        assert_eq!(plain.trustee(), Some(trustee));
        assert!(!plain.is_object_ace());
    }

    /// Raw bytes of one ACE, written out by hand.
    fn raw_ace(ace_type: u8, flags: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![ace_type, flags];
        out.extend_from_slice(&u16::try_from(4 + body.len()).unwrap().to_le_bytes());
        out.extend_from_slice(body);
        out
    }

    /// Raw bytes of an ACL, written out by hand.
    fn raw_acl(revision: u8, aces: &[Vec<u8>]) -> Vec<u8> {
        let size: usize = 8 + aces.iter().map(Vec::len).sum::<usize>();
        let mut out = vec![revision, 0];
        out.extend_from_slice(&u16::try_from(size).unwrap().to_le_bytes());
        out.extend_from_slice(&u16::try_from(aces.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        for ace in aces {
            out.extend_from_slice(ace);
        }
        out
    }

    /// A security descriptor written out by hand in Windows' layout: header, DACL (one plain
    /// explicit ACE for SYSTEM, one inherited object ACE for Authenticated Users), owner Domain
    /// Admins, group BUILTIN\Administrators.
    fn hand_built() -> Vec<u8> {
        let system = [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
        let authenticated_users = [1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0];
        let mut plain_body = 0x000f_01ffu32.to_le_bytes().to_vec();
        plain_body.extend_from_slice(&system);
        let mut object_body = ADS_RIGHT_DS_READ_PROPERTY.to_le_bytes().to_vec();
        object_body.extend_from_slice(&2u32.to_le_bytes());
        object_body.extend_from_slice(&guid(USER_CLASS));
        object_body.extend_from_slice(&authenticated_users);
        let dacl = raw_acl(
            ACL_REVISION_DS,
            &[
                raw_ace(0x00, 0x00, &plain_body),
                raw_ace(0x05, INHERITED_ACE | CONTAINER_INHERIT, &object_body),
            ],
        );
        let owner = sid(DOMAIN_ADMINS_SID).to_bytes();
        let group = vec![1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0];
        let dacl_offset = 20u32;
        let owner_offset = dacl_offset + u32::try_from(dacl.len()).unwrap();
        let group_offset = owner_offset + u32::try_from(owner.len()).unwrap();
        let mut out = vec![1, 0];
        out.extend_from_slice(
            &(SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED)
                .to_le_bytes(),
        );
        for offset in [owner_offset, group_offset, 0, dacl_offset] {
            out.extend_from_slice(&offset.to_le_bytes());
        }
        out.extend_from_slice(&dacl);
        out.extend_from_slice(&owner);
        out.extend_from_slice(&group);
        out
    }

    #[test]
    fn hand_built_descriptor_is_read() {
        let bytes = hand_built();
        let sd = SecurityDescriptor::from_bytes(&bytes).unwrap();
        assert_eq!(sd.owner(), Some(&sid(DOMAIN_ADMINS_SID)));
        assert_eq!(sd.group(), Some(&sid(BUILTIN_ADMINISTRATORS)));
        assert_eq!(sd.sacl(), None);
        let dacl = sd.dacl().unwrap();
        assert_eq!(dacl.revision(), ACL_REVISION_DS);
        assert_eq!(dacl.aces().len(), 2);
        assert_eq!(dacl.aces()[0].trustee(), Some(sid("S-1-5-18")));
        assert_eq!(dacl.aces()[0].mask(), Some(0x000f_01ff));
        assert!(dacl.aces()[1].is_inherited());
        assert_eq!(dacl.aces()[1].trustee(), Some(sid("S-1-5-11")));
        assert_eq!(
            dacl.aces()[1].inherited_object_type(),
            Some(guid(USER_CLASS))
        );
        assert_eq!(sd.to_bytes(), bytes);
    }

    #[test]
    fn adding_an_ace_is_idempotent_and_survives_a_round_trip() {
        let mut sd = SecurityDescriptor::from_bytes(&hand_built()).unwrap();
        let account = sid("S-1-5-21-1004336348-1177238915-682003330-1105");
        let ace = Ace::allow_object(
            &account,
            ADS_RIGHT_DS_CONTROL_ACCESS,
            Some(guid(DS_REPLICATION_GET_CHANGES)),
            None,
            0,
        );
        assert!(!sd.has_ace(&ace));
        sd.add_ace(ace.clone());
        assert!(sd.has_ace(&ace));
        let once = sd.clone();
        sd.add_ace(ace.clone());
        assert_eq!(sd, once);
        assert_eq!(sd.try_add_ace(ace.clone()), Ok(false));
        let dacl = sd.dacl().unwrap();
        assert_eq!(dacl.aces().len(), 3);
        // After the explicit ACE, before the inherited one.
        assert_eq!(dacl.aces()[1], ace);
        assert!(dacl.aces()[2].is_inherited());

        let bytes = sd.to_bytes();
        let again = SecurityDescriptor::from_bytes(&bytes).unwrap();
        assert_eq!(again, sd);
        assert_eq!(again.to_bytes(), bytes);
    }

    #[test]
    fn deny_aces_go_first_and_object_aces_raise_the_revision() {
        let system = sid("S-1-5-18");
        let mut bytes = vec![1, 0];
        bytes.extend_from_slice(&(SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
        bytes.extend_from_slice(&[0; 12]);
        bytes.extend_from_slice(&20u32.to_le_bytes());
        let allow = Ace::allow(&system, ADS_RIGHT_GENERIC_READ, 0);
        let mut raw_allow = Vec::new();
        allow.write(&mut raw_allow);
        bytes.extend_from_slice(&raw_acl(ACL_REVISION, &[raw_allow]));
        let mut sd = SecurityDescriptor::from_bytes(&bytes).unwrap();
        assert_eq!(sd.dacl().unwrap().revision(), ACL_REVISION);

        let mut deny_body = ADS_RIGHT_GENERIC_WRITE.to_le_bytes().to_vec();
        deny_body.extend_from_slice(&system.to_bytes());
        let deny = Ace::from_parts(ACCESS_DENIED_ACE_TYPE, 0, deny_body).unwrap();
        sd.add_ace(deny.clone());
        assert_eq!(sd.dacl().unwrap().aces(), &[deny.clone(), allow.clone()]);
        assert_eq!(sd.dacl().unwrap().revision(), ACL_REVISION);

        let object = Ace::allow_object(&system, ADS_RIGHT_DS_READ_PROPERTY, None, None, 0);
        sd.add_ace(object.clone());
        assert_eq!(sd.dacl().unwrap().aces(), &[deny, allow, object]);
        assert_eq!(sd.dacl().unwrap().revision(), ACL_REVISION_DS);
    }

    #[test]
    fn dacl_only_bytes_have_no_owner_group_or_sacl() {
        let mut sd = SecurityDescriptor::from_bytes(&hand_built()).unwrap();
        sd.add_ace(Ace::allow(
            &sid("S-1-5-21-1-2-3-1105"),
            ADS_RIGHT_GENERIC_READ,
            0,
        ));
        let bytes = sd.dacl_only_bytes();
        assert_eq!(&bytes[4..16], &[0; 12]);
        assert_eq!(u32::from_le_bytes(bytes[16..20].try_into().unwrap()), 20);
        let dacl_only = SecurityDescriptor::from_bytes(&bytes).unwrap();
        assert_eq!(dacl_only.owner(), None);
        assert_eq!(dacl_only.group(), None);
        assert_eq!(dacl_only.sacl(), None);
        assert_eq!(dacl_only.dacl(), sd.dacl());
        assert_eq!(
            dacl_only.control(),
            SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED
        );
    }

    #[test]
    fn a_sacl_and_another_layout_are_read_and_rewritten_canonically() {
        // Owner first, then the SACL, then the DACL: read fine, written back in Windows' order.
        let owner = sid(BUILTIN_ADMINISTRATORS).to_bytes();
        let mut audit_body = 0x10u32.to_le_bytes().to_vec();
        audit_body.extend_from_slice(&sid("S-1-1-0").to_bytes());
        let sacl = raw_acl(ACL_REVISION, &[raw_ace(0x02, 0xc0, &audit_body)]);
        let dacl = raw_acl(ACL_REVISION, &[]);
        let owner_offset = 20u32;
        let sacl_offset = owner_offset + u32::try_from(owner.len()).unwrap();
        let dacl_offset = sacl_offset + u32::try_from(sacl.len()).unwrap();
        let mut bytes = vec![1, 0];
        bytes.extend_from_slice(
            &(SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_SACL_PRESENT).to_le_bytes(),
        );
        for offset in [owner_offset, 0, sacl_offset, dacl_offset] {
            bytes.extend_from_slice(&offset.to_le_bytes());
        }
        bytes.extend_from_slice(&owner);
        bytes.extend_from_slice(&sacl);
        bytes.extend_from_slice(&dacl);
        let sd = SecurityDescriptor::from_bytes(&bytes).unwrap();
        assert_eq!(sd.sacl().unwrap().aces()[0].trustee(), Some(sid("S-1-1-0")));
        assert!(sd.dacl().unwrap().aces().is_empty());
        let rewritten = sd.to_bytes();
        assert_ne!(rewritten, bytes);
        assert_eq!(
            u32::from_le_bytes(rewritten[12..16].try_into().unwrap()),
            20
        );
        assert_eq!(SecurityDescriptor::from_bytes(&rewritten).unwrap(), sd);
    }

    #[test]
    fn unknown_ace_types_survive_a_round_trip() {
        let mut bytes = vec![1, 0];
        bytes.extend_from_slice(&(SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
        bytes.extend_from_slice(&[0; 12]);
        bytes.extend_from_slice(&20u32.to_le_bytes());
        bytes.extend_from_slice(&raw_acl(
            ACL_REVISION_DS,
            &[raw_ace(0x42, 0x03, &[9, 8, 7, 6, 5]), raw_ace(0x11, 0, &[])],
        ));
        let sd = SecurityDescriptor::from_bytes(&bytes).unwrap();
        assert_eq!(sd.dacl().unwrap().aces()[0].body(), &[9, 8, 7, 6, 5]);
        assert_eq!(sd.dacl().unwrap().aces()[0].trustee(), None);
        assert_eq!(sd.dacl().unwrap().aces()[1].mask(), None);
        assert_eq!(sd.to_bytes(), bytes);
    }

    #[test]
    fn null_dacl_stays_null() {
        let mut bytes = vec![1, 0];
        bytes.extend_from_slice(&(SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
        bytes.extend_from_slice(&[0; 16]);
        let sd = SecurityDescriptor::from_bytes(&bytes).unwrap();
        assert_eq!(sd.dacl(), None);
        assert_eq!(sd.to_bytes(), bytes);
        assert_eq!(sd.dacl_only_bytes(), bytes);
    }

    #[test]
    fn every_prefix_of_a_descriptor_is_an_error() {
        let bytes = hand_built();
        for n in 0..bytes.len() {
            assert!(
                SecurityDescriptor::from_bytes(&bytes[..n]).is_err(),
                "prefix {n}"
            );
        }
    }

    #[test]
    fn malformed_descriptors_are_errors() {
        let bytes = hand_built();
        let with = |at: usize, value: &[u8]| {
            let mut b = bytes.clone();
            b[at..at + value.len()].copy_from_slice(value);
            SecurityDescriptor::from_bytes(&b)
        };
        assert_eq!(
            with(0, &[2]),
            Err(SecurityError::SdRevision { revision: 2 })
        );
        assert!(matches!(
            with(2, &[4, 0]),
            Err(SecurityError::NotSelfRelative { .. })
        ));
        assert!(matches!(
            with(4, &[8, 0, 0, 0]),
            Err(SecurityError::BadOffset { part: "owner", .. })
        ));
        assert!(matches!(
            with(16, &[0xff, 0xff, 0, 0]),
            Err(SecurityError::BadOffset { part: "DACL", .. })
        ));
        let in_dacl = |r: Result<SecurityDescriptor, SecurityError>| match r {
            Err(SecurityError::InPart {
                part: "DACL",
                error,
            }) => *error,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            in_dacl(with(20, &[9])),
            SecurityError::AclRevision { revision: 9 }
        );
        assert_eq!(
            in_dacl(with(22, &[4, 0])),
            SecurityError::AclSizeTooSmall { size: 4 }
        );
        assert!(matches!(
            in_dacl(with(22, &[0xff, 0xff])),
            SecurityError::AclBeyondEnd { .. }
        ));
        assert!(matches!(
            in_dacl(with(24, &[3, 0])),
            SecurityError::AceHeaderTruncated { index: 2, .. }
        ));
        assert!(matches!(
            in_dacl(with(30, &[2, 0])),
            SecurityError::AceSizeTooSmall { index: 0, .. }
        ));
        assert!(matches!(
            in_dacl(with(30, &[0xff, 0])),
            SecurityError::AceBeyondAcl { index: 0, .. }
        ));
        let message = with(30, &[0xff, 0]).unwrap_err().to_string();
        assert!(
            message.contains("DACL") && message.contains("ACE 1"),
            "{message}"
        );
    }

    #[test]
    fn garbled_descriptors_never_panic() {
        let bytes = hand_built();
        // Every byte set to a few values that stress lengths, counts and offsets.
        for at in 0..bytes.len() {
            for value in [0x00, 0x01, 0x04, 0x7f, 0x80, 0xfe, 0xff] {
                let mut garbled = bytes.clone();
                garbled[at] = value;
                check_round_trip(&garbled);
            }
        }
        // And pseudo-random bytes, from a fixed seed, behind a plausible header.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let len = usize::try_from(next() % 160).unwrap();
            let mut random: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            if let Some(first) = random.get_mut(0) {
                *first = 1;
            }
            if let Some(control) = random.get_mut(3) {
                *control |= 0x80;
            }
            check_round_trip(&random);
        }
    }

    /// Whatever reads without error writes back to bytes that read the same.
    fn check_round_trip(bytes: &[u8]) {
        if let Ok(sd) = SecurityDescriptor::from_bytes(bytes) {
            let written = sd.to_bytes();
            assert_eq!(
                SecurityDescriptor::from_bytes(&written).as_ref(),
                Ok(&sd),
                "{bytes:02x?}"
            );
            let dacl_only = SecurityDescriptor::from_bytes(&sd.dacl_only_bytes()).unwrap();
            assert_eq!(dacl_only.dacl(), sd.dacl());
        }
    }
}
