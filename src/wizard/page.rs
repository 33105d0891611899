//! The registry of wizard pages: their ids, the fields and messages each one owns, and the
//! order they come in (a pure function of the draft).

use super::Draft;
use super::express::InstallMode;
use super::features::Feature;

/// One page of the wizard. Adding a variant makes every exhaustive `match` over pages fail to
/// compile until the new page has its validator, its words and its view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PageId {
    /// Licence acceptance.
    Welcome,
    /// An installed configuration: its settings, changes, history and pending exports.
    AdditionalTasks,
    /// Express install or a customized one.
    Express,
    /// The data folder, and importing settings.
    RequiredComponents,
    /// How people sign in, and single sign-on.
    UserSignIn,
    /// A tenant administrator signs in.
    ConnectTenant,
    /// The forests and their connector accounts.
    ConnectDirectories,
    /// UPN suffixes and the sign-in attribute.
    SignInConfiguration,
    /// Which domains and OUs are synchronized.
    DomainOuFiltering,
    /// Matching across forests and the sourceAnchor.
    IdentifyingUsers,
    /// Everyone, or a pilot group's members.
    FilterUsers,
    /// Exchange, writeback, filtering and extension features.
    OptionalFeatures,
    /// The cloud services in use (app filtering).
    AppFiltering,
    /// The attributes they read, some of which can be left out.
    AttributeFiltering,
    /// Forest attributes copied to the tenant as extension properties.
    DirectoryExtensions,
    /// A domain administrator per forest, to create the single sign-on account.
    SingleSignOn,
    /// AD FS: a new farm with its certificate, or an existing farm by its metadata.
    AdfsFarm,
    /// AD FS: the federation servers.
    FederationServers,
    /// AD FS: the Web Application Proxy servers.
    ProxyServers,
    /// AD FS: the farm's service account.
    AdfsServiceAccount,
    /// The tenant domain to federate.
    FederatedDomain,
    /// AD FS: every check before anything is changed, and the deployment script.
    FederationVerification,
    /// PingFederate: its metadata, connectivity and the settings for its administrator.
    PingFederate,
    /// Additional tasks: the tenant's federated domains, to convert back to managed.
    ConvertDomains,
    /// The summary before anything is changed.
    ReadyToConfigure,
    /// The plan being applied, step by step.
    Configuring,
    /// What was done and what comes next.
    Complete,
}

impl PageId {
    /// Every page, in registry order.
    pub const ALL: &'static [PageId] = &[
        PageId::Welcome,
        PageId::AdditionalTasks,
        PageId::Express,
        PageId::RequiredComponents,
        PageId::UserSignIn,
        PageId::ConnectTenant,
        PageId::ConnectDirectories,
        PageId::SignInConfiguration,
        PageId::DomainOuFiltering,
        PageId::IdentifyingUsers,
        PageId::FilterUsers,
        PageId::OptionalFeatures,
        PageId::AppFiltering,
        PageId::AttributeFiltering,
        PageId::DirectoryExtensions,
        PageId::SingleSignOn,
        PageId::AdfsFarm,
        PageId::FederationServers,
        PageId::ProxyServers,
        PageId::AdfsServiceAccount,
        PageId::FederatedDomain,
        PageId::FederationVerification,
        PageId::PingFederate,
        PageId::ConvertDomains,
        PageId::ReadyToConfigure,
        PageId::Configuring,
        PageId::Complete,
    ];

    /// The page's key: its text file is `wizard-pages/<key>.toml`.
    pub fn key(self) -> &'static str {
        match self {
            PageId::Welcome => "welcome",
            PageId::AdditionalTasks => "additional_tasks",
            PageId::Express => "express",
            PageId::RequiredComponents => "required_components",
            PageId::UserSignIn => "user_sign_in",
            PageId::ConnectTenant => "connect_tenant",
            PageId::ConnectDirectories => "connect_directories",
            PageId::SignInConfiguration => "sign_in_configuration",
            PageId::DomainOuFiltering => "domain_ou_filtering",
            PageId::IdentifyingUsers => "identifying_users",
            PageId::FilterUsers => "filter_users",
            PageId::OptionalFeatures => "optional_features",
            PageId::AppFiltering => "app_filtering",
            PageId::AttributeFiltering => "attribute_filtering",
            PageId::DirectoryExtensions => "directory_extensions",
            PageId::SingleSignOn => "single_sign_on",
            PageId::AdfsFarm => "adfs_farm",
            PageId::FederationServers => "federation_servers",
            PageId::ProxyServers => "proxy_servers",
            PageId::AdfsServiceAccount => "adfs_service_account",
            PageId::FederatedDomain => "federated_domain",
            PageId::FederationVerification => "federation_verification",
            PageId::PingFederate => "ping_federate",
            PageId::ConvertDomains => "convert_domains",
            PageId::ReadyToConfigure => "ready_to_configure",
            PageId::Configuring => "configuring",
            PageId::Complete => "complete",
        }
    }

    /// The ids of the page's labelled fields.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            PageId::Welcome => super::welcome::FIELDS,
            PageId::AdditionalTasks => super::tasks::FIELDS,
            PageId::Express => super::express::FIELDS,
            PageId::RequiredComponents => super::components::FIELDS,
            PageId::UserSignIn => super::signin::FIELDS,
            PageId::ConnectTenant => super::tenant::FIELDS,
            PageId::ConnectDirectories => super::directories::FIELDS,
            PageId::SignInConfiguration => super::signin_config::FIELDS,
            PageId::DomainOuFiltering => super::filtering::FIELDS,
            PageId::IdentifyingUsers => super::identity::FIELDS,
            PageId::FilterUsers => super::pilot::FIELDS,
            PageId::OptionalFeatures => super::features::FIELDS,
            PageId::AppFiltering => super::app_filter::APP_FIELDS,
            PageId::AttributeFiltering => super::app_filter::ATTRIBUTE_FIELDS,
            PageId::DirectoryExtensions => super::extensions::FIELDS,
            PageId::SingleSignOn => super::sso::FIELDS,
            PageId::AdfsFarm => super::federation::FARM_FIELDS,
            PageId::FederationServers => super::federation::SERVERS_FIELDS,
            PageId::ProxyServers => super::federation::PROXIES_FIELDS,
            PageId::AdfsServiceAccount => super::federation::ACCOUNT_FIELDS,
            PageId::FederatedDomain => super::federation::DOMAIN_FIELDS,
            PageId::FederationVerification => super::federation::VERIFY_FIELDS,
            PageId::PingFederate => super::federation::PING_FIELDS,
            PageId::ConvertDomains => super::federation::CONVERT_FIELDS,
            PageId::ReadyToConfigure => super::ready::FIELDS,
            PageId::Configuring => super::configuring::FIELDS,
            PageId::Complete => super::configuring::COMPLETE_FIELDS,
        }
    }

    /// The ids of the messages the page's validator can produce.
    pub fn messages(self) -> &'static [&'static str] {
        match self {
            PageId::Welcome => super::welcome::MESSAGES,
            PageId::AdditionalTasks => super::tasks::MESSAGES,
            PageId::Express => super::express::MESSAGES,
            PageId::RequiredComponents => super::components::MESSAGES,
            PageId::UserSignIn => super::signin::MESSAGES,
            PageId::ConnectTenant => super::tenant::MESSAGES,
            PageId::ConnectDirectories => super::directories::MESSAGES,
            PageId::SignInConfiguration => super::signin_config::MESSAGES,
            PageId::DomainOuFiltering => super::filtering::MESSAGES,
            PageId::IdentifyingUsers => super::identity::MESSAGES,
            PageId::FilterUsers => super::pilot::MESSAGES,
            PageId::OptionalFeatures => super::features::MESSAGES,
            PageId::AppFiltering => super::app_filter::APP_MESSAGES,
            PageId::AttributeFiltering => super::app_filter::ATTRIBUTE_MESSAGES,
            PageId::DirectoryExtensions => super::extensions::MESSAGES,
            PageId::SingleSignOn => super::sso::MESSAGES,
            PageId::AdfsFarm => super::federation::FARM_MESSAGES,
            PageId::FederationServers => super::federation::SERVERS_MESSAGES,
            PageId::ProxyServers => super::federation::PROXIES_MESSAGES,
            PageId::AdfsServiceAccount => super::federation::ACCOUNT_MESSAGES,
            PageId::FederatedDomain => super::federation::DOMAIN_MESSAGES,
            PageId::FederationVerification => super::federation::VERIFY_MESSAGES,
            PageId::PingFederate => super::federation::PING_MESSAGES,
            PageId::ConvertDomains => super::federation::CONVERT_MESSAGES,
            PageId::ReadyToConfigure => super::ready::MESSAGES,
            PageId::Configuring => super::configuring::MESSAGES,
            PageId::Complete => super::configuring::COMPLETE_MESSAGES,
        }
    }
}

/// The pages the administrator walks through for this draft, in order. The express install
/// asks for the tenant and one forest's enterprise administrator, shows the forest's sign-in
/// suffixes, and goes on to Ready to configure.
pub fn flow(draft: &Draft) -> Vec<PageId> {
    // An installed configuration is changed from Additional tasks, never installed again;
    // customizing walks the pages of what can change, then Ready to configure.
    if draft.additional {
        let mut pages = vec![PageId::AdditionalTasks];
        if draft.tasks.customizing && draft.tasks.change == super::tasks::Change::Federation {
            pages.extend([PageId::ConnectTenant, PageId::ConvertDomains]);
        } else if draft.tasks.customizing && draft.tasks.change == super::tasks::Change::SignIn {
            pages.extend([PageId::ConnectTenant, PageId::UserSignIn]);
            if super::sso::wanted(draft) {
                pages.push(PageId::SingleSignOn);
            }
            pages.push(PageId::ReadyToConfigure);
        } else if draft.tasks.customizing {
            pages.extend([
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::DomainOuFiltering,
                PageId::OptionalFeatures,
            ]);
            if draft.features.contains(&Feature::AppAttributeFiltering) {
                pages.extend([PageId::AppFiltering, PageId::AttributeFiltering]);
            }
            if draft.features.contains(&Feature::DirectoryExtensions) {
                pages.push(PageId::DirectoryExtensions);
            }
            pages.push(PageId::ReadyToConfigure);
        }
        return pages;
    }
    let mut pages = vec![PageId::Welcome, PageId::Express];
    match draft.mode {
        Some(InstallMode::Custom) => {
            pages.extend([
                PageId::RequiredComponents,
                PageId::UserSignIn,
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::SignInConfiguration,
                PageId::DomainOuFiltering,
                PageId::IdentifyingUsers,
                PageId::FilterUsers,
                PageId::OptionalFeatures,
            ]);
            if draft.features.contains(&Feature::AppAttributeFiltering) {
                pages.extend([PageId::AppFiltering, PageId::AttributeFiltering]);
            }
            if draft.features.contains(&Feature::DirectoryExtensions) {
                pages.push(PageId::DirectoryExtensions);
            }
            if super::sso::wanted(draft) {
                pages.push(PageId::SingleSignOn);
            }
            pages.extend(super::federation::pages(draft));
            pages.extend([
                PageId::ReadyToConfigure,
                PageId::Configuring,
                PageId::Complete,
            ]);
        }
        Some(InstallMode::Express) => pages.extend([
            PageId::ConnectTenant,
            PageId::ConnectDirectories,
            PageId::SignInConfiguration,
            PageId::ReadyToConfigure,
            PageId::Configuring,
            PageId::Complete,
        ]),
        None => {}
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_custom_walk_has_the_sign_in_page_and_the_express_walk_does_not() {
        let mut draft = Draft::default();
        assert_eq!(flow(&draft), [PageId::Welcome, PageId::Express]);
        draft.mode = Some(InstallMode::Express);
        assert_eq!(
            flow(&draft),
            [
                PageId::Welcome,
                PageId::Express,
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::SignInConfiguration,
                PageId::ReadyToConfigure,
                PageId::Configuring,
                PageId::Complete
            ]
        );
        draft.mode = Some(InstallMode::Custom);
        assert_eq!(
            flow(&draft),
            [
                PageId::Welcome,
                PageId::Express,
                PageId::RequiredComponents,
                PageId::UserSignIn,
                PageId::ConnectTenant,
                PageId::ConnectDirectories,
                PageId::SignInConfiguration,
                PageId::DomainOuFiltering,
                PageId::IdentifyingUsers,
                PageId::FilterUsers,
                PageId::OptionalFeatures,
                PageId::ReadyToConfigure,
                PageId::Configuring,
                PageId::Complete
            ]
        );
        draft.features.insert(Feature::DirectoryExtensions);
        let pages = flow(&draft);
        let at = pages
            .iter()
            .position(|p| *p == PageId::DirectoryExtensions)
            .expect("the extensions page with its feature");
        assert_eq!(pages[at - 1], PageId::OptionalFeatures);
        assert_eq!(pages[at + 1], PageId::ReadyToConfigure);
        draft.features.insert(Feature::AppAttributeFiltering);
        let pages = flow(&draft);
        let at = pages
            .iter()
            .position(|p| *p == PageId::AppFiltering)
            .expect("the app filtering page with its feature");
        assert_eq!(
            pages[at - 1..at + 3],
            [
                PageId::OptionalFeatures,
                PageId::AppFiltering,
                PageId::AttributeFiltering,
                PageId::DirectoryExtensions
            ]
        );
    }
}
