//! Federation metadata: fetched over verified HTTPS, read (SAML 2.0 `EntityDescriptor`, with
//! the WS-Federation `RoleDescriptor` AD FS adds), checked, and turned into the tenant's
//! `internalDomainFederation` settings.
//!
//! The reader is namespace-aware (prefixes differ between products) and refuses documents with
//! a DTD, so an entity declaration in a hostile document is never expanded.

use serde::Serialize;
use serde_json::{Value, json};

use super::certificate::{Outcome, thumbprint};

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const FED: &str = "http://docs.oasis-open.org/wsfed/federation/200706";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// The most metadata read from a server (AD FS documents are a few tens of kilobytes).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// Why metadata could not be had.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// The address cannot be used.
    #[error("'{0}' is not a usable metadata address: {1}")]
    Address(String, String),
    /// The server could not be reached, or its certificate was not trusted.
    #[error("the metadata at {0} could not be fetched: {1}")]
    Fetch(String, String),
    /// The server answered with an error.
    #[error(
        "the server answered {1} for {0}: check the address (AD FS publishes it at /FederationMetadata/2007-06/FederationMetadata.xml)"
    )]
    Status(String, u16),
    /// The document is not well-formed XML.
    #[error("the document is not readable XML: {0}")]
    Xml(String),
    /// The document is XML but not federation metadata.
    #[error("the document is not federation metadata: {0}")]
    NotMetadata(String),
}

/// What an identity provider's metadata says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Its entityID (the issuer the tenant will trust).
    pub entity_id: String,
    /// Token-signing certificates (base64 DER), in document order.
    pub signing_certificates: Vec<String>,
    /// SAML 2.0 single sign-on, HTTP-Redirect binding.
    pub sso_redirect: Option<String>,
    /// SAML 2.0 single sign-on, HTTP-POST binding.
    pub sso_post: Option<String>,
    /// SAML 2.0 single logout.
    pub logout: Option<String>,
    /// WS-Federation passive requestor endpoint (AD FS: `/adfs/ls/`).
    pub passive_endpoint: Option<String>,
}

/// Which metadata check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MetadataCheck {
    /// The entityID is an absolute URI.
    EntityId,
    /// A signing certificate is there, readable and valid.
    SigningCertificate,
    /// A sign-in endpoint is there, on HTTPS, on the expected host.
    Endpoints,
}

/// One check's outcome and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataFinding {
    /// Which check.
    pub check: MetadataCheck,
    /// How it came out.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
}

/// Fetches the metadata at `url` with `client` (whose TLS verification is the caller's: the
/// product's clients always verify). Only `https` is accepted.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, MetadataError> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| MetadataError::Address(url.to_string(), e.to_string()))?;
    if parsed.scheme() != "https" {
        return Err(MetadataError::Address(
            url.to_string(),
            "metadata must be fetched over https, so its certificate proves where it came from"
                .into(),
        ));
    }
    let shown = parsed.to_string();
    let response = client
        .get(parsed)
        .send()
        .await
        .map_err(|e| MetadataError::Fetch(shown.clone(), error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(MetadataError::Status(shown, status.as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BYTES as u64)
    {
        return Err(MetadataError::Fetch(
            shown,
            format!("the document is larger than {MAX_BYTES} bytes"),
        ));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| MetadataError::Fetch(shown.clone(), error_chain(&e)))?;
    if bytes.len() > MAX_BYTES {
        return Err(MetadataError::Fetch(
            shown,
            format!("the document is larger than {MAX_BYTES} bytes"),
        ));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| MetadataError::Xml("it is not UTF-8 text".into()))
}

/// An error with its causes, which is where reqwest says a certificate was not trusted.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// Reads metadata: the first entity in the document that is an identity provider (a SAML
/// `IDPSSODescriptor` or a WS-Federation security token service).
pub fn parse(xml: &str) -> Result<Metadata, MetadataError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| MetadataError::Xml(e.to_string()))?;
    let root = doc.root_element();
    let entities: Vec<roxmltree::Node<'_, '_>> = if root.has_tag_name((MD, "EntityDescriptor")) {
        vec![root]
    } else if root.has_tag_name((MD, "EntitiesDescriptor")) {
        root.descendants()
            .filter(|n| n.has_tag_name((MD, "EntityDescriptor")))
            .collect()
    } else {
        return Err(MetadataError::NotMetadata(format!(
            "its root element is {}, not a SAML 2.0 EntityDescriptor",
            root.tag_name().name()
        )));
    };
    let is_idp = |n: &roxmltree::Node<'_, '_>| {
        n.children().any(|c| {
            c.has_tag_name((MD, "IDPSSODescriptor"))
                || (c.has_tag_name((MD, "RoleDescriptor")) && is_sts(&c))
        })
    };
    let Some(entity) = entities.into_iter().find(is_idp) else {
        return Err(MetadataError::NotMetadata(
            "it describes no identity provider (no IDPSSODescriptor or security token service)"
                .into(),
        ));
    };
    let mut meta = Metadata {
        entity_id: entity.attribute("entityID").unwrap_or_default().to_string(),
        ..Metadata::default()
    };
    for role in entity.children().filter(|c| {
        c.has_tag_name((MD, "IDPSSODescriptor"))
            || (c.has_tag_name((MD, "RoleDescriptor")) && is_sts(c))
    }) {
        for key in role
            .children()
            .filter(|c| c.has_tag_name((MD, "KeyDescriptor")))
        {
            if key.attribute("use").is_some_and(|u| u != "signing") {
                continue;
            }
            for cert in key
                .descendants()
                .filter(|c| c.has_tag_name((DS, "X509Certificate")))
            {
                let text: String = cert
                    .text()
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if !text.is_empty() && !meta.signing_certificates.contains(&text) {
                    meta.signing_certificates.push(text);
                }
            }
        }
        for endpoint in role.children().filter(|c| c.is_element()) {
            let location = endpoint.attribute("Location").map(str::to_string);
            let binding = endpoint.attribute("Binding").unwrap_or_default();
            if endpoint.has_tag_name((MD, "SingleSignOnService")) {
                if binding == REDIRECT && meta.sso_redirect.is_none() {
                    meta.sso_redirect = location;
                } else if binding == POST && meta.sso_post.is_none() {
                    meta.sso_post = location;
                }
            } else if endpoint.has_tag_name((MD, "SingleLogoutService")) && meta.logout.is_none() {
                meta.logout = location;
            } else if endpoint.has_tag_name((FED, "PassiveRequestorEndpoint"))
                && meta.passive_endpoint.is_none()
            {
                meta.passive_endpoint = endpoint
                    .descendants()
                    .find(|a| a.has_tag_name((WSA, "Address")))
                    .and_then(|a| a.text())
                    .map(|t| t.trim().to_string());
            }
        }
    }
    Ok(meta)
}

/// Whether a `RoleDescriptor` is a WS-Federation security token service.
fn is_sts(node: &roxmltree::Node<'_, '_>) -> bool {
    node.attributes().any(|a| {
        a.name() == "type"
            && a.namespace() == Some("http://www.w3.org/2001/XMLSchema-instance")
            && a.value().ends_with("SecurityTokenServiceType")
    })
}

/// Checks metadata at `now` (Unix seconds). With `host`, the sign-in endpoints must be on it
/// (the federation service name of an AD FS farm).
pub fn check(meta: &Metadata, host: Option<&str>, now: i64) -> Vec<MetadataFinding> {
    let finding = |check, outcome, detail: String| MetadataFinding {
        check,
        outcome,
        detail,
    };
    let mut out = Vec::new();
    out.push(match url::Url::parse(&meta.entity_id) {
        Ok(_) => finding(
            MetadataCheck::EntityId,
            Outcome::Pass,
            format!("issuer {}", meta.entity_id),
        ),
        Err(_) if meta.entity_id.is_empty() => finding(
            MetadataCheck::EntityId,
            Outcome::Fail,
            "the entity has no entityID".into(),
        ),
        Err(e) => finding(
            MetadataCheck::EntityId,
            Outcome::Fail,
            format!(
                "its entityID '{}' is not an absolute URI: {e}",
                meta.entity_id
            ),
        ),
    });
    out.push(match meta.signing_certificates.first() {
        None => finding(
            MetadataCheck::SigningCertificate,
            Outcome::Fail,
            "it publishes no token-signing certificate".into(),
        ),
        Some(b64) => signing_check(b64, now),
    });
    let endpoints: Vec<&String> = [&meta.passive_endpoint, &meta.sso_redirect, &meta.sso_post]
        .into_iter()
        .flatten()
        .collect();
    out.push(if endpoints.is_empty() {
        finding(
            MetadataCheck::Endpoints,
            Outcome::Fail,
            "it publishes no sign-in endpoint (WS-Federation passive or SAML single sign-on)"
                .into(),
        )
    } else if let Some(bad) = endpoints.iter().find(|e| {
        url::Url::parse(e).map_or(true, |u| {
            u.scheme() != "https"
                || host.is_some_and(|h| {
                    !u.host_str()
                        .is_some_and(|uh| uh.eq_ignore_ascii_case(h.trim_end_matches('.')))
                })
        })
    }) {
        finding(
            MetadataCheck::Endpoints,
            Outcome::Fail,
            match host {
                Some(h) => format!("the sign-in endpoint {bad} is not an https address on {h}"),
                None => format!("the sign-in endpoint {bad} is not an https address"),
            },
        )
    } else {
        finding(
            MetadataCheck::Endpoints,
            Outcome::Pass,
            format!(
                "sign-in at {}",
                endpoints
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    });
    out
}

fn signing_check(b64: &str, now: i64) -> MetadataFinding {
    use base64::Engine as _;
    use x509_parser::prelude::FromDer as _;
    let fail = |detail: String| MetadataFinding {
        check: MetadataCheck::SigningCertificate,
        outcome: Outcome::Fail,
        detail,
    };
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return fail("its token-signing certificate is not valid base64".into());
    };
    let Ok((_, cert)) = x509_parser::certificate::X509Certificate::from_der(&der) else {
        return fail("its token-signing certificate cannot be read".into());
    };
    let valid = super::certificate::validity(&cert, now);
    MetadataFinding {
        check: MetadataCheck::SigningCertificate,
        outcome: valid.outcome,
        detail: format!(
            "token-signing certificate {} (thumbprint {}): {}",
            cert.subject(),
            thumbprint(&der),
            valid.detail
        ),
    }
}

/// Which product serves the metadata: it decides the endpoints only AD FS has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// An AD FS farm with this federation service name.
    Adfs(String),
    /// PingFederate (or another SAML 2.0 / WS-Federation provider).
    Other,
}

impl Provider {
    /// The host its sign-in endpoints must be on: an AD FS farm's service name.
    pub fn host(&self) -> Option<&str> {
        match self {
            Provider::Adfs(name) => Some(name),
            Provider::Other => None,
        }
    }
}

/// The tenant's `internalDomainFederation` for this metadata: issuer, sign-in and sign-out
/// addresses, the signing certificates and the protocol (WS-Federation when the provider
/// offers it, else SAML 2.0).
pub fn tenant_configuration(meta: &Metadata, display_name: &str, provider: &Provider) -> Value {
    let wsfed = meta.passive_endpoint.is_some();
    let passive = meta
        .passive_endpoint
        .clone()
        .or_else(|| meta.sso_redirect.clone())
        .or_else(|| meta.sso_post.clone());
    let mut config = json!({
        "@odata.type": "#microsoft.graph.internalDomainFederation",
        "displayName": display_name,
        "issuerUri": meta.entity_id,
        "passiveSignInUri": passive,
        "signOutUri": meta.logout.clone().or_else(|| passive.clone()),
        "signingCertificate": meta.signing_certificates.first(),
        "preferredAuthenticationProtocol": if wsfed { "wsFed" } else { "saml" },
        "promptLoginBehavior": if wsfed { "nativeSupport" } else { "disabled" },
        "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
    });
    if let Some(next) = meta.signing_certificates.get(1) {
        config["nextSigningCertificate"] = json!(next);
    }
    if let Provider::Adfs(name) = provider {
        let name = name.trim().trim_end_matches('.');
        config["metadataExchangeUri"] = json!(format!("https://{name}/adfs/services/trust/mex"));
        config["activeSignInUri"] = json!(format!(
            "https://{name}/adfs/services/trust/2005/usernamemixed"
        ));
    }
    config
}

/// Where an AD FS farm publishes its metadata.
pub fn adfs_metadata_url(name: &str) -> String {
    format!(
        "https://{}/FederationMetadata/2007-06/FederationMetadata.xml",
        name.trim().trim_end_matches('.')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADFS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_1" entityID="http://fs.contoso.com/adfs/services/trust"
    xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <RoleDescriptor xsi:type="fed:SecurityTokenServiceType"
      protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
      xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">
    <KeyDescriptor use="signing">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>
        QUJD
        REVG
      </X509Certificate></X509Data></KeyInfo>
    </KeyDescriptor>
    <fed:PassiveRequestorEndpoint>
      <EndpointReference xmlns="http://www.w3.org/2005/08/addressing">
        <Address>https://fs.contoso.com/adfs/ls/</Address>
      </EndpointReference>
    </fed:PassiveRequestorEndpoint>
  </RoleDescriptor>
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="encryption">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>RU5D</X509Certificate></X509Data></KeyInfo>
    </KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://fs.contoso.com/adfs/ls/"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://fs.contoso.com/adfs/ls/"/>
  </IDPSSODescriptor>
</EntityDescriptor>"#;

    #[test]
    fn an_adfs_document_gives_its_wsfed_endpoint_signing_key_and_issuer() {
        let meta = parse(ADFS).expect("parsed");
        assert_eq!(meta.entity_id, "http://fs.contoso.com/adfs/services/trust");
        // Whitespace inside the base64 is dropped; the encryption key is not a signing key.
        assert_eq!(meta.signing_certificates, ["QUJDREVG"]);
        assert_eq!(
            meta.passive_endpoint.as_deref(),
            Some("https://fs.contoso.com/adfs/ls/")
        );
        let config =
            tenant_configuration(&meta, "Contoso", &Provider::Adfs("fs.contoso.com".into()));
        assert_eq!(config["preferredAuthenticationProtocol"], "wsFed");
        assert_eq!(
            config["passiveSignInUri"],
            "https://fs.contoso.com/adfs/ls/"
        );
        assert_eq!(
            config["metadataExchangeUri"],
            "https://fs.contoso.com/adfs/services/trust/mex"
        );
        // A broken certificate is named, not passed.
        let found = check(&meta, Some("fs.contoso.com"), 0);
        assert_eq!(found[0].outcome, Outcome::Pass);
        assert_eq!(found[1].outcome, Outcome::Fail, "{found:?}");
        assert_eq!(found[2].outcome, Outcome::Pass, "{found:?}");
        let elsewhere = check(&meta, Some("sts.fabrikam.com"), 0);
        assert_eq!(elsewhere[2].outcome, Outcome::Fail);
        assert!(elsewhere[2].detail.contains("sts.fabrikam.com"));
    }

    #[test]
    fn documents_that_are_not_metadata_are_refused_with_the_reason() {
        assert!(matches!(parse("not xml"), Err(MetadataError::Xml(_))));
        assert!(matches!(
            parse("<html><body>Sign in</body></html>"),
            Err(MetadataError::NotMetadata(_))
        ));
        let sp = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor/></EntityDescriptor>"#;
        assert!(matches!(parse(sp), Err(MetadataError::NotMetadata(_))));
        // An entity declaration is never expanded: a DTD is refused outright.
        let dtd = r#"<!DOCTYPE x [<!ENTITY e "boom">]><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&e;"/>"#;
        assert!(parse(dtd).is_err());
    }
}
