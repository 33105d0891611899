//! The User sign-in page: how people sign in to the tenant with their on-premises password,
//! and whether seamless single sign-on is turned on.

use crate::wizard::Draft;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::state::choices::SignInMethod;
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    METHOD,
    PASSWORD_HASH_SYNC,
    PASS_THROUGH,
    FEDERATION_ADFS,
    FEDERATION_PING,
    DO_NOT_CONFIGURE,
    PASSWORD_LISTEN,
    SINGLE_SIGN_ON,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    PASSWORD_SYNC_HOW,
    PASSWORD_LISTEN_INVALID,
    PASS_THROUGH_UNAVAILABLE,
    FEDERATION_NOT_IN_BUILD,
    SSO_NEEDS_CLOUD_SIGN_IN,
    NOT_CONFIGURED,
];

/// The choice as a whole.
pub const METHOD: &str = "method";
/// Password hash synchronization.
pub const PASSWORD_HASH_SYNC: &str = "password_hash_sync";
/// Pass-through authentication.
pub const PASS_THROUGH: &str = "pass_through";
/// Federation with AD FS.
pub const FEDERATION_ADFS: &str = "federation_adfs";
/// Federation with PingFederate.
pub const FEDERATION_PING: &str = "federation_ping";
/// Do not configure sign-in.
pub const DO_NOT_CONFIGURE: &str = "do_not_configure";
/// Seamless single sign-on.
pub const SINGLE_SIGN_ON: &str = "single_sign_on";
/// Where the service listens for password agents.
pub const PASSWORD_LISTEN: &str = "password_listen";
/// What password synchronization does and does not do (shown under the option).
pub const PASSWORD_SYNC_HOW: &str = "password_sync_how";
/// The listening address is not `address:port`.
pub const PASSWORD_LISTEN_INVALID: &str = "password_listen_invalid";
/// Pass-through authentication cannot be set up through documented interfaces.
pub const PASS_THROUGH_UNAVAILABLE: &str = "pass_through_unavailable";
/// A federation method was chosen; its pages are not in this build.
pub const FEDERATION_NOT_IN_BUILD: &str = "federation_not_in_build";
/// Single sign-on was chosen with a method that does not allow it.
pub const SSO_NEEDS_CLOUD_SIGN_IN: &str = "sso_needs_cloud_sign_in";
/// Sign-in is left to the administrator.
pub const NOT_CONFIGURED: &str = "not_configured";

impl SignInMethod {
    /// Why the method cannot be chosen (a message id of this page), or `None` when it can.
    /// Pass-through authentication needs Microsoft's own agent and its private relay, which
    /// no documented interface reaches.
    pub fn unavailable(self) -> Option<&'static str> {
        (self == SignInMethod::PassThrough).then_some(PASS_THROUGH_UNAVAILABLE)
    }

    /// The id of its field (its option on the page).
    pub fn field(self) -> &'static str {
        match self {
            SignInMethod::PasswordHashSync => PASSWORD_HASH_SYNC,
            SignInMethod::PassThrough => PASS_THROUGH,
            SignInMethod::FederationAdfs => FEDERATION_ADFS,
            SignInMethod::FederationPing => FEDERATION_PING,
            SignInMethod::DoNotConfigure => DO_NOT_CONFIGURE,
        }
    }
}

/// Checks the page.
pub fn validate(draft: &Draft) -> Vec<Problem> {
    let mut problems = Vec::new();
    let method = draft.sign_in;
    if let Some(why) = method.unavailable() {
        problems.push(Problem::error(PageId::UserSignIn, method.field(), why));
    }
    // Federating an installed configuration is not one of the Additional tasks yet.
    if draft.additional
        && matches!(
            method,
            SignInMethod::FederationAdfs | SignInMethod::FederationPing
        )
    {
        problems.push(Problem::error(
            PageId::UserSignIn,
            method.field(),
            FEDERATION_NOT_IN_BUILD,
        ));
    }
    if method == SignInMethod::PasswordHashSync
        && draft
            .password_listen
            .trim()
            .parse::<std::net::SocketAddr>()
            .is_err()
    {
        problems.push(Problem::error(
            PageId::UserSignIn,
            PASSWORD_LISTEN,
            PASSWORD_LISTEN_INVALID,
        ));
    }
    if draft.single_sign_on && !method.allows_single_sign_on() {
        problems.push(Problem::error(
            PageId::UserSignIn,
            SINGLE_SIGN_ON,
            SSO_NEEDS_CLOUD_SIGN_IN,
        ));
    }
    if method == SignInMethod::DoNotConfigure {
        problems.push(Problem::warning(
            PageId::UserSignIn,
            DO_NOT_CONFIGURE,
            NOT_CONFIGURED,
        ));
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetSignIn(method) => {
            if method != w.draft.sign_in {
                // Another provider: its metadata must be read (and checked) afresh.
                w.facts.federation.forget_provider();
            }
            w.draft.sign_in = method;
            // Single sign-on goes only with some methods: a method without it clears it.
            if !method.allows_single_sign_on() {
                w.draft.single_sign_on = false;
            }
        }
        Msg::SetSingleSignOn(on) => w.draft.single_sign_on = on,
        Msg::SetPasswordListen(address) => w.draft.password_listen = address,
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_is_named_as_settings_files_name_it() {
        for &method in SignInMethod::ALL {
            let json = serde_json::to_value(method).expect("JSON");
            assert_eq!(json.as_str(), Some(method.key()));
            assert_eq!(SignInMethod::from_key(method.key()), Some(method));
        }
        assert_eq!(SignInMethod::from_key("kerberos"), None);
    }
    use crate::wizard::Severity;

    fn errors(draft: &Draft) -> Vec<&'static str> {
        validate(draft)
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn hash_sync_goes_with_single_sign_on() {
        let mut draft = Draft::default();
        assert_eq!(draft.sign_in, SignInMethod::PasswordHashSync);
        draft.single_sign_on = true;
        assert!(validate(&draft).is_empty());
    }

    #[test]
    fn password_synchronization_needs_an_address_and_port_to_listen_on() {
        let mut draft = Draft::default();
        assert!(errors(&draft).is_empty());
        for bad in ["", "0.0.0.0", "sync.contoso.test:7390", "0.0.0.0:99999"] {
            draft.password_listen = bad.into();
            assert_eq!(errors(&draft), [PASSWORD_LISTEN_INVALID], "{bad}");
        }
        draft.password_listen = " [::]:7390 ".into();
        assert!(errors(&draft).is_empty());
        // Only password synchronization listens.
        draft.password_listen = String::new();
        draft.sign_in = SignInMethod::DoNotConfigure;
        assert!(errors(&draft).is_empty());
    }

    #[test]
    fn pass_through_cannot_be_chosen_and_says_why() {
        // A settings file (or an older installation) can still name it: it stops Next with the
        // reason, and only pass-through is unavailable.
        let draft = Draft {
            sign_in: SignInMethod::PassThrough,
            ..Draft::default()
        };
        assert_eq!(errors(&draft), [PASS_THROUGH_UNAVAILABLE]);
        let problem = &validate(&draft)[0];
        assert_eq!(problem.field, PASS_THROUGH);
        assert!(
            problem.text().contains("no documented interface"),
            "{}",
            problem.text()
        );
        let unavailable: Vec<SignInMethod> = SignInMethod::ALL
            .iter()
            .copied()
            .filter(|m| m.unavailable().is_some())
            .collect();
        assert_eq!(unavailable, [SignInMethod::PassThrough]);
    }

    #[test]
    fn federation_is_refused_from_additional_tasks_and_never_with_single_sign_on() {
        let mut draft = Draft {
            additional: true,
            ..Draft::default()
        };
        for method in [SignInMethod::FederationAdfs, SignInMethod::FederationPing] {
            draft.sign_in = method;
            draft.single_sign_on = false;
            assert_eq!(errors(&draft), [FEDERATION_NOT_IN_BUILD]);
            draft.single_sign_on = true;
            assert_eq!(
                errors(&draft),
                [FEDERATION_NOT_IN_BUILD, SSO_NEEDS_CLOUD_SIGN_IN]
            );
        }
    }

    #[test]
    fn leaving_sign_in_alone_is_allowed_with_a_warning() {
        let draft = Draft {
            sign_in: SignInMethod::DoNotConfigure,
            ..Draft::default()
        };
        let problems = validate(&draft);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].severity, Severity::Warning);
        assert!(errors(&draft).is_empty());
    }
}
