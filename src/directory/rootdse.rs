//! The root DSE: what a directory server tells anyone about itself before a bind.
//!
//! Reading it is the cheapest proof that a server is an Active Directory domain controller and
//! that TLS to it works; it also names the forest's partitions and the change counter that
//! delta imports start from.

use std::collections::HashMap;

use ldap3::{LdapConn, Scope, SearchEntry};
use serde::Serialize;

use super::error::DirectoryError;
use super::server::ServerSpec;

/// Control OID of Active Directory's DirSync change feed.
pub const OID_DIRSYNC: &str = "1.2.840.113556.1.4.841";
/// Control OID of paged results (RFC 2696).
pub const OID_PAGED_RESULTS: &str = "1.2.840.113556.1.4.319";
/// Control OID that returns deleted objects (tombstones).
pub const OID_SHOW_DELETED: &str = "1.2.840.113556.1.4.417";
/// Capability OID that marks an Active Directory (or Samba AD) domain controller.
pub const OID_CAPABILITY_ACTIVE_DIRECTORY: &str = "1.2.840.113556.1.4.800";

/// The attributes of the root DSE that Skybridge uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RootDse {
    /// The DNS name of the server that answered.
    pub dns_host_name: Option<String>,
    /// The naming context of the server's own domain.
    pub default_naming_context: Option<String>,
    /// The forest's configuration partition.
    pub configuration_naming_context: Option<String>,
    /// The forest's schema partition.
    pub schema_naming_context: Option<String>,
    /// The naming context of the forest root domain.
    pub root_domain_naming_context: Option<String>,
    /// Every naming context the server holds.
    pub naming_contexts: Vec<String>,
    /// The server's highest committed update sequence number.
    pub highest_committed_usn: Option<u64>,
    /// Domain functional level (0 = 2000 … 7 = 2016).
    pub domain_functionality: Option<u32>,
    /// Forest functional level.
    pub forest_functionality: Option<u32>,
    /// The LDAP controls the server supports.
    pub supported_controls: Vec<String>,
    /// The server's capability OIDs.
    pub supported_capabilities: Vec<String>,
}

impl RootDse {
    /// Builds the view from the raw attributes of the root DSE entry.
    pub fn from_attrs(attrs: &HashMap<String, Vec<String>>) -> Self {
        // Attribute names are case-insensitive in LDAP.
        let get = |name: &str| -> Vec<String> {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let one = |name: &str| get(name).into_iter().next();
        let number = |name: &str| one(name).and_then(|v| v.trim().parse().ok());
        RootDse {
            dns_host_name: one("dnsHostName"),
            default_naming_context: one("defaultNamingContext"),
            configuration_naming_context: one("configurationNamingContext"),
            schema_naming_context: one("schemaNamingContext"),
            root_domain_naming_context: one("rootDomainNamingContext"),
            naming_contexts: get("namingContexts"),
            highest_committed_usn: one("highestCommittedUSN").and_then(|v| v.trim().parse().ok()),
            domain_functionality: number("domainFunctionality"),
            forest_functionality: number("forestFunctionality"),
            supported_controls: get("supportedControl"),
            supported_capabilities: get("supportedCapabilities"),
        }
    }

    /// Whether the server says it is an Active Directory domain controller.
    pub fn is_active_directory(&self) -> bool {
        self.supported_capabilities
            .iter()
            .any(|c| c == OID_CAPABILITY_ACTIVE_DIRECTORY)
    }

    /// Whether the server offers a control, by OID.
    pub fn supports_control(&self, oid: &str) -> bool {
        self.supported_controls.iter().any(|c| c == oid)
    }

    /// The functional level as the Windows Server version administrators know it by.
    pub fn level_name(level: u32) -> &'static str {
        match level {
            0 => "Windows 2000",
            1 => "Windows Server 2003 interim",
            2 => "Windows Server 2003",
            3 => "Windows Server 2008",
            4 => "Windows Server 2008 R2",
            5 => "Windows Server 2012",
            6 => "Windows Server 2012 R2",
            7 => "Windows Server 2016",
            10 => "Windows Server 2025",
            _ => "a level newer than this build knows",
        }
    }
}

/// Reads the root DSE over an open (bound or anonymous) connection.
pub fn read(spec: &ServerSpec, conn: &mut LdapConn) -> Result<RootDse, DirectoryError> {
    let attrs = [
        "dnsHostName",
        "defaultNamingContext",
        "configurationNamingContext",
        "schemaNamingContext",
        "rootDomainNamingContext",
        "namingContexts",
        "highestCommittedUSN",
        "domainFunctionality",
        "forestFunctionality",
        "supportedControl",
        "supportedCapabilities",
    ];
    let (entries, _result) = conn
        .with_timeout(spec.timeout)
        .search("", Scope::Base, "(objectClass=*)", attrs.to_vec())
        .and_then(|r| r.success())
        .map_err(|e| spec.classify(e, "reading the root DSE"))?;
    let entry = entries
        .into_iter()
        .next()
        .ok_or_else(|| DirectoryError::Operation {
            server: spec.url(),
            operation: "reading the root DSE",
            detail: "the server returned no root DSE entry; it is probably not an LDAP directory"
                .into(),
        })?;
    Ok(RootDse::from_attrs(&SearchEntry::construct(entry).attrs))
}

/// Connects anonymously and reads the root DSE: the "is this a domain controller?" probe.
pub fn probe(spec: &ServerSpec) -> Result<RootDse, DirectoryError> {
    let mut conn = spec.connect()?;
    let dse = read(spec, &mut conn);
    // A failed unbind after a successful read changes nothing for the caller.
    let _ = conn.unbind();
    dse
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samba() -> RootDse {
        let raw: HashMap<String, Vec<String>> =
            serde_json::from_str(include_str!("../../tests/data/samba-rootdse.json")).unwrap();
        RootDse::from_attrs(&raw)
    }

    #[test]
    fn samba_root_dse_is_read_as_active_directory() {
        let dse = samba();
        assert!(dse.is_active_directory());
        assert_eq!(
            dse.default_naming_context.as_deref(),
            Some("DC=contoso,DC=test")
        );
        assert_eq!(
            dse.schema_naming_context.as_deref(),
            Some("CN=Schema,CN=Configuration,DC=contoso,DC=test")
        );
        assert!(dse.highest_committed_usn.is_some_and(|usn| usn > 1000));
        assert!(dse.supports_control(OID_DIRSYNC));
        assert!(dse.supports_control(OID_PAGED_RESULTS));
        assert!(dse.supports_control(OID_SHOW_DELETED));
        assert!(dse.naming_contexts.len() >= 3);
        assert!(dse.domain_functionality.is_some());
    }

    #[test]
    fn attribute_names_are_case_insensitive_and_bad_numbers_are_none() {
        let mut raw = HashMap::new();
        raw.insert("DEFAULTNAMINGCONTEXT".to_string(), vec!["DC=x".to_string()]);
        raw.insert("highestCommittedUSN".to_string(), vec!["abc".to_string()]);
        let dse = RootDse::from_attrs(&raw);
        assert_eq!(dse.default_naming_context.as_deref(), Some("DC=x"));
        assert_eq!(dse.highest_committed_usn, None);
        assert!(!dse.is_active_directory());
    }
}
