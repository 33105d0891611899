//! The AD FS farm page: a new farm with its certificate file (checked before anything is
//! changed), or a farm that runs already, by its metadata. Its ids, its validator and the
//! label ids of the certificate checks; what the federation pages share is in
//! [`crate::wizard::federation`].

use crate::federation::certificate;
use crate::wizard::federation::{
    CA_FILE, CHECKING, FAIL, FETCH_FIRST, FETCH_METADATA, Farm, META_ENDPOINTS, META_ENTITY,
    META_SIGNING, METADATA_FAILED, METADATA_URL, METADATA_WARNING, PASS, WARN, metadata_problems,
    outcome_problems, valid_host,
};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};

/// Field ids of the AD FS farm page.
pub const FIELDS: &[&str] = &[
    NEW_FARM,
    EXISTING_FARM,
    SERVICE_NAME,
    DISPLAY_NAME,
    CERTIFICATE_FILE,
    CERTIFICATE_PASSWORD,
    BROWSE,
    CHECK_CERTIFICATE,
    THUMBPRINT,
    METADATA_URL,
    CA_FILE,
    FETCH_METADATA,
    WINDOWS_NOTE,
    CHECK_OPENS,
    CHECK_KEY,
    CHECK_STRENGTH,
    CHECK_VALIDITY,
    CHECK_NAME,
    CHECK_CHAIN,
    META_ENTITY,
    META_SIGNING,
    META_ENDPOINTS,
    PASS,
    WARN,
    FAIL,
];
/// Message ids of the AD FS farm page.
pub const MESSAGES: &[&str] = &[
    NAME_INVALID,
    CERT_MISSING,
    CHECK_CERT_FIRST,
    CERT_FAILED,
    CERT_WARNING,
    FETCH_FIRST,
    METADATA_FAILED,
    METADATA_WARNING,
    CHECKING,
];

/// Set up a new farm.
pub const NEW_FARM: &str = "new_farm";
/// Use a farm that runs.
pub const EXISTING_FARM: &str = "existing_farm";
/// The federation service name.
pub const SERVICE_NAME: &str = "service_name";
/// The display name.
pub const DISPLAY_NAME: &str = "display_name";
/// The certificate file.
pub const CERTIFICATE_FILE: &str = "certificate_file";
/// Its password.
pub const CERTIFICATE_PASSWORD: &str = "certificate_password";
/// The Browse button.
pub const BROWSE: &str = "browse";
/// The Check certificate button.
pub const CHECK_CERTIFICATE: &str = "check_certificate";
/// The thumbprint's label.
pub const THUMBPRINT: &str = "thumbprint";
/// What Skybridge does not do on Windows.
pub const WINDOWS_NOTE: &str = "windows_note";
/// Certificate check: the password opens it.
pub const CHECK_OPENS: &str = "check_opens";
/// Certificate check: the private key.
pub const CHECK_KEY: &str = "check_key";
/// Certificate check: key strength.
pub const CHECK_STRENGTH: &str = "check_strength";
/// Certificate check: validity.
pub const CHECK_VALIDITY: &str = "check_validity";
/// Certificate check: names.
pub const CHECK_NAME: &str = "check_name";
/// Certificate check: chain.
pub const CHECK_CHAIN: &str = "check_chain";
/// The service name is not a host name.
pub const NAME_INVALID: &str = "name_invalid";
/// No certificate file given.
pub const CERT_MISSING: &str = "cert_missing";
/// The certificate was not checked.
pub const CHECK_CERT_FIRST: &str = "check_cert_first";
/// A certificate check failed (detail: which and why).
pub const CERT_FAILED: &str = "cert_failed";
/// A certificate check warns (detail).
pub const CERT_WARNING: &str = "cert_warning";

/// The label id of a certificate check.
pub fn certificate_label(check: certificate::Check) -> &'static str {
    match check {
        certificate::Check::Opens => CHECK_OPENS,
        certificate::Check::PrivateKey => CHECK_KEY,
        certificate::Check::KeyStrength => CHECK_STRENGTH,
        certificate::Check::Validity => CHECK_VALIDITY,
        certificate::Check::Name => CHECK_NAME,
        certificate::Check::Chain => CHECK_CHAIN,
    }
}

/// Checks the AD FS farm page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::AdfsFarm;
    let fed = &draft.federation;
    if !valid_host(&fed.name()) || !fed.name().contains('.') {
        return vec![Problem::error(page, SERVICE_NAME, NAME_INVALID)];
    }
    if fed.farm == Farm::Existing {
        return metadata_problems(page, facts);
    }
    if fed.certificate_file.trim().is_empty() {
        return vec![Problem::error(page, CERTIFICATE_FILE, CERT_MISSING)];
    }
    let Some(found) = &facts.federation.certificate else {
        return vec![Problem::error(page, CHECK_CERTIFICATE, CHECK_CERT_FIRST)];
    };
    outcome_problems(
        page,
        found
            .findings
            .iter()
            .map(|f| (certificate_label(f.check), f.outcome, f.detail.clone())),
        CERT_FAILED,
        CERT_WARNING,
    )
}
