//! The choices several pages read: how the installation is configured ([`InstallMode`]), how
//! people sign in ([`SignInMethod`]) and the optional features ([`Feature`]). The words and
//! the checks of each stay with the page that asks (its field ids, its validator).

/// How the installation is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InstallMode {
    /// One forest, password hash synchronization, everything synchronized, started at once.
    Express,
    /// Every page of the custom install.
    Custom,
}

/// How people sign in with their on-premises password.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum SignInMethod {
    /// The tenant checks a hash of the password hash, synchronized from AD.
    #[default]
    PasswordHashSync,
    /// The tenant asks an on-premises agent to check the password against AD. Not available:
    /// the agent works only with a relay of Microsoft's that has no documented interface.
    PassThrough,
    /// The tenant sends people to an AD FS farm.
    FederationAdfs,
    /// The tenant sends people to a PingFederate server.
    FederationPing,
    /// Skybridge leaves sign-in alone.
    DoNotConfigure,
}

impl SignInMethod {
    /// Its name in settings files (`passwordHashSync`).
    pub fn key(self) -> &'static str {
        match self {
            SignInMethod::PasswordHashSync => "passwordHashSync",
            SignInMethod::PassThrough => "passThrough",
            SignInMethod::FederationAdfs => "federationAdfs",
            SignInMethod::FederationPing => "federationPing",
            SignInMethod::DoNotConfigure => "doNotConfigure",
        }
    }

    /// The method named `key` (as [`SignInMethod::key`] writes it).
    pub fn from_key(key: &str) -> Option<SignInMethod> {
        SignInMethod::ALL.iter().copied().find(|m| m.key() == key)
    }

    /// Every method, in the order the page lists them.
    pub const ALL: &'static [SignInMethod] = &[
        SignInMethod::PasswordHashSync,
        SignInMethod::PassThrough,
        SignInMethod::FederationAdfs,
        SignInMethod::FederationPing,
        SignInMethod::DoNotConfigure,
    ];

    /// Whether seamless single sign-on can go with it: only when the tenant itself checks the
    /// password (hash sync or pass-through); a federation server does its own single sign-on.
    pub fn allows_single_sign_on(self) -> bool {
        matches!(
            self,
            SignInMethod::PasswordHashSync | SignInMethod::PassThrough
        )
    }
}

/// An optional feature.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Feature {
    /// Exchange hybrid deployment.
    ExchangeHybrid,
    /// Exchange mail public folders.
    ExchangePublicFolders,
    /// App and attribute filtering.
    AppAttributeFiltering,
    /// Password hash synchronization.
    PasswordHashSync,
    /// Password writeback.
    PasswordWriteback,
    /// Group writeback.
    GroupWriteback,
    /// Device writeback.
    DeviceWriteback,
    /// Directory extension attributes.
    DirectoryExtensions,
}

impl Feature {
    /// Every feature, in page order.
    pub const ALL: &'static [Feature] = &[
        Feature::ExchangeHybrid,
        Feature::ExchangePublicFolders,
        Feature::AppAttributeFiltering,
        Feature::PasswordHashSync,
        Feature::PasswordWriteback,
        Feature::GroupWriteback,
        Feature::DeviceWriteback,
        Feature::DirectoryExtensions,
    ];
}
