//! The Connect to tenant page: a tenant administrator signs in, and what the sign-in learns
//! about the tenant (its id, name and domains) becomes a fact the later pages use.

use crate::wizard::probe::Answer;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::state::tenant::is_upn;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    USER,
    PASSWORD,
    SIGN_IN,
    AUTHORITY,
    GRAPH,
    CLIENT_ID,
    CA_FILE,
    ADVANCED,
    SIGNED_IN,
    DOMAIN_VERIFIED,
    DOMAIN_NOT_VERIFIED,
    DEVICE_CODE,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    ENTER_USER,
    USER_NOT_UPN,
    ENTER_PASSWORD,
    SIGN_IN_NEEDED,
    SIGNING_IN,
    SIGN_IN_FAILED,
    AUTHORITY_NOT_HTTPS,
    ENTER_CODE,
];

/// The administrator's sign-in name.
pub const USER: &str = "user";
/// Their password.
pub const PASSWORD: &str = "password";
/// The Sign in button.
pub const SIGN_IN: &str = "sign_in";
/// The identity platform authority.
pub const AUTHORITY: &str = "authority";
/// The Graph root.
pub const GRAPH: &str = "graph";
/// The application (client) id.
pub const CLIENT_ID: &str = "client_id";
/// A CA file trusted instead of the system's (a tenant emulator, a TLS-inspecting proxy).
pub const CA_FILE: &str = "ca_file";
/// The fold with the endpoint settings.
pub const ADVANCED: &str = "advanced";
/// The "signed in to …" line.
pub const SIGNED_IN: &str = "signed_in";
/// A tenant domain whose ownership is proven.
pub const DOMAIN_VERIFIED: &str = "domain_verified";
/// A tenant domain added but not proven.
pub const DOMAIN_NOT_VERIFIED: &str = "domain_not_verified";
/// No sign-in name.
pub const ENTER_USER: &str = "enter_user";
/// The sign-in name is not `name@domain`.
pub const USER_NOT_UPN: &str = "user_not_upn";
/// No password.
pub const ENTER_PASSWORD: &str = "enter_password";
/// Not signed in yet.
pub const SIGN_IN_NEEDED: &str = "sign_in_needed";
/// A sign-in is under way.
pub const SIGNING_IN: &str = "signing_in";
/// The tenant refused the sign-in (the detail says why).
pub const SIGN_IN_FAILED: &str = "sign_in_failed";
/// A device-code sign-in waits for the code to be entered (detail: where, and the code).
pub const ENTER_CODE: &str = "enter_code";
/// The device-code choice.
pub const DEVICE_CODE: &str = "device_code";
/// The authority or Graph root is not an https (or loopback http) URL.
pub const AUTHORITY_NOT_HTTPS: &str = "authority_not_https";

/// Whether a URL may carry credentials: https, or plain http to this machine only.
fn safe_url(url: &str) -> bool {
    match url::Url::parse(url.trim()) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) if u.scheme() == "http" => {
            matches!(
                u.host(),
                Some(url::Host::Ipv4(ip)) if ip.is_loopback()
            ) || u.host_str() == Some("localhost")
        }
        _ => false,
    }
}

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::ConnectTenant;
    let t = &draft.tenant;
    let mut problems = Vec::new();
    // With a device code the browser asks for the name and password, not this page.
    if !t.device_code {
        if t.user.trim().is_empty() {
            problems.push(Problem::error(page, USER, ENTER_USER));
        } else if !is_upn(t.user.trim()) {
            problems.push(Problem::error(page, USER, USER_NOT_UPN));
        }
        if t.password.expose().is_empty() {
            problems.push(Problem::error(page, PASSWORD, ENTER_PASSWORD));
        }
    }
    for (field, url) in [(AUTHORITY, &t.authority), (GRAPH, &t.graph)] {
        if !safe_url(url) {
            problems.push(Problem::error(page, field, AUTHORITY_NOT_HTTPS));
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    match &facts.tenant {
        _ if facts.device_prompt.is_some() => problems.push(
            Problem::error(page, SIGN_IN, ENTER_CODE).with_detail(
                facts
                    .device_prompt
                    .as_ref()
                    .map(|(uri, code)| format!("{uri} — {code}"))
                    .unwrap_or_default(),
            ),
        ),
        _ if facts.signing_in => problems.push(Problem::error(page, SIGN_IN, SIGNING_IN)),
        Some(Ok(_)) => {}
        Some(Err(reason)) => {
            problems.push(Problem::error(page, SIGN_IN, SIGN_IN_FAILED).with_detail(reason.clone()))
        }
        None => problems.push(Problem::error(page, SIGN_IN, SIGN_IN_NEEDED)),
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetTenantUser(v) => w.tenant_input(|t| t.user = v),
        Msg::SetTenantPassword(v) => w.tenant_input(|t| t.password = v),
        Msg::SetTenantAuthority(v) => w.tenant_input(|t| t.authority = v),
        Msg::SetTenantGraph(v) => w.tenant_input(|t| t.graph = v),
        Msg::SetTenantClientId(v) => w.tenant_input(|t| t.client_id = v),
        Msg::SetTenantCaFile(v) => w.tenant_input(|t| t.ca_file = v),
        Msg::SetTenantDeviceCode(on) => w.tenant_input(|t| t.device_code = on),
        Msg::SignInTenant if w.draft.tenant.device_code => {
            let probe = crate::wizard::probe::Probe::DeviceCodeStart {
                endpoint: w.draft.tenant.endpoint(),
            };
            w.facts.tenant = None;
            w.facts.signing_in = true;
            w.facts.device_prompt = None;
            return vec![w.ask(probe)];
        }
        Msg::SignInTenant => {
            let t = &w.draft.tenant;
            if !crate::wizard::state::tenant::is_upn(t.user.trim())
                || t.password.expose().is_empty()
            {
                return Vec::new();
            }
            let probe = crate::wizard::probe::Probe::TenantSignIn {
                endpoint: t.endpoint(),
                user: t.user.trim().to_string(),
                password: t.password.clone(),
            };
            w.facts.tenant = None;
            w.facts.signing_in = true;
            return vec![w.ask(probe)];
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    match result {
        crate::wizard::probe::Answer::TenantSignIn(outcome) => {
            w.facts.signing_in = false;
            w.facts.device_prompt = None;
            w.facts.tenant = Some(outcome);
        }
        crate::wizard::probe::Answer::DeviceCode(Err(reason)) => {
            w.facts.signing_in = false;
            w.facts.tenant = Some(Err(reason));
        }
        crate::wizard::probe::Answer::DeviceCode(Ok(prompt)) => {
            // Show the code, and wait for the administrator to enter it.
            w.facts.device_prompt =
                Some((prompt.verification_uri.clone(), prompt.user_code.clone()));
            let wait = crate::wizard::probe::Probe::DeviceCodeWait {
                endpoint: w.draft.tenant.endpoint(),
                prompt,
            };
            return vec![w.ask(wait)];
        }
        // Answers for other pages never come here.
        _ => {}
    }
    Vec::new()
}

impl Wizard {
    /// Changes a tenant setting: what was learned with the old settings no longer holds, and
    /// a sign-in under way answers for the old ones.
    pub(crate) fn tenant_input(
        &mut self,
        change: impl FnOnce(&mut crate::wizard::state::tenant::TenantDraft),
    ) {
        change(&mut self.draft.tenant);
        self.facts.tenant = None;
        self.facts.signing_in = false;
        self.facts.device_prompt = None;
        self.awaited
            .remove(&crate::wizard::probe::ProbeKind::TenantSignIn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn filled() -> Draft {
        let mut draft = Draft::default();
        draft.tenant.user = "admin@contoso.onmicrosoft.com".into();
        draft.tenant.password = Secret::new("pw");
        draft
    }

    fn messages(draft: &Draft, facts: &Facts) -> Vec<&'static str> {
        validate(draft, facts)
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn sign_in_names_are_upn_shaped() {
        for good in ["admin@contoso.com", "a.b-c@sub.contoso.onmicrosoft.com"] {
            assert!(is_upn(good), "{good}");
        }
        for bad in [
            "",
            "admin",
            "@contoso.com",
            "admin@",
            "admin@contoso",
            "a@b@c.com",
            "a b@c.com",
            "admin@.com",
            "admin@contoso.",
        ] {
            assert!(!is_upn(bad), "{bad}");
        }
    }

    #[test]
    fn the_page_asks_for_what_is_missing_then_for_a_sign_in() {
        let facts = Facts::default();
        assert_eq!(
            messages(&Draft::default(), &facts),
            [ENTER_USER, ENTER_PASSWORD]
        );
        let mut draft = filled();
        draft.tenant.user = "admin".into();
        assert_eq!(messages(&draft, &facts), [USER_NOT_UPN]);
        let draft = filled();
        assert_eq!(messages(&draft, &facts), [SIGN_IN_NEEDED]);
        let signing = Facts {
            signing_in: true,
            ..Facts::default()
        };
        assert_eq!(messages(&draft, &signing), [SIGNING_IN]);
        let failed = Facts {
            tenant: Some(Err("AADSTS50126: wrong password".into())),
            ..Facts::default()
        };
        let problems = validate(&draft, &failed);
        assert_eq!(problems[0].message, SIGN_IN_FAILED);
        assert!(problems[0].text().contains("AADSTS50126"));
    }

    #[test]
    fn credentials_never_travel_over_plain_http_to_another_machine() {
        let mut draft = filled();
        draft.tenant.authority = "http://login.example.com/organizations".into();
        assert_eq!(messages(&draft, &Facts::default()), [AUTHORITY_NOT_HTTPS]);
        draft.tenant.authority = "http://127.0.0.1:8443/tenant".into();
        assert_eq!(messages(&draft, &Facts::default()), [SIGN_IN_NEEDED]);
        draft.tenant.graph = "not a url".into();
        assert_eq!(messages(&draft, &Facts::default()), [AUTHORITY_NOT_HTTPS]);
    }
}
