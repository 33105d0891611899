//! The registry of wizard pages: their ids, and one exhaustive match per question — each
//! page's key, the fields and messages it owns, and its validator. A new page fails to compile
//! until every one of them names it. The order pages come in is [`super::flow`].

use super::problem::Problem;
use super::{Draft, Facts, pages};

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
            PageId::Welcome => pages::welcome::FIELDS,
            PageId::AdditionalTasks => pages::additional_tasks::FIELDS,
            PageId::Express => pages::express::FIELDS,
            PageId::RequiredComponents => pages::required_components::FIELDS,
            PageId::UserSignIn => pages::user_sign_in::FIELDS,
            PageId::ConnectTenant => pages::connect_tenant::FIELDS,
            PageId::ConnectDirectories => pages::connect_directories::FIELDS,
            PageId::SignInConfiguration => pages::sign_in_configuration::FIELDS,
            PageId::DomainOuFiltering => pages::domain_ou_filtering::FIELDS,
            PageId::IdentifyingUsers => pages::identifying_users::FIELDS,
            PageId::FilterUsers => pages::filter_users::FIELDS,
            PageId::OptionalFeatures => pages::optional_features::FIELDS,
            PageId::AppFiltering => pages::app_filtering::APP_FIELDS,
            PageId::AttributeFiltering => pages::app_filtering::ATTRIBUTE_FIELDS,
            PageId::DirectoryExtensions => pages::directory_extensions::FIELDS,
            PageId::SingleSignOn => pages::single_sign_on::FIELDS,
            PageId::AdfsFarm => pages::adfs_farm::FIELDS,
            PageId::FederationServers => pages::federation_servers::FIELDS,
            PageId::ProxyServers => pages::proxy_servers::FIELDS,
            PageId::AdfsServiceAccount => pages::adfs_service_account::FIELDS,
            PageId::FederatedDomain => pages::federated_domain::FIELDS,
            PageId::FederationVerification => pages::federation_verification::FIELDS,
            PageId::PingFederate => pages::ping_federate::FIELDS,
            PageId::ConvertDomains => pages::convert_domains::FIELDS,
            PageId::ReadyToConfigure => pages::ready_to_configure::FIELDS,
            PageId::Configuring => pages::configuring::FIELDS,
            PageId::Complete => pages::configuring::COMPLETE_FIELDS,
        }
    }

    /// The ids of the messages the page's validator can produce.
    pub fn messages(self) -> &'static [&'static str] {
        match self {
            PageId::Welcome => pages::welcome::MESSAGES,
            PageId::AdditionalTasks => pages::additional_tasks::MESSAGES,
            PageId::Express => pages::express::MESSAGES,
            PageId::RequiredComponents => pages::required_components::MESSAGES,
            PageId::UserSignIn => pages::user_sign_in::MESSAGES,
            PageId::ConnectTenant => pages::connect_tenant::MESSAGES,
            PageId::ConnectDirectories => pages::connect_directories::MESSAGES,
            PageId::SignInConfiguration => pages::sign_in_configuration::MESSAGES,
            PageId::DomainOuFiltering => pages::domain_ou_filtering::MESSAGES,
            PageId::IdentifyingUsers => pages::identifying_users::MESSAGES,
            PageId::FilterUsers => pages::filter_users::MESSAGES,
            PageId::OptionalFeatures => pages::optional_features::MESSAGES,
            PageId::AppFiltering => pages::app_filtering::APP_MESSAGES,
            PageId::AttributeFiltering => pages::app_filtering::ATTRIBUTE_MESSAGES,
            PageId::DirectoryExtensions => pages::directory_extensions::MESSAGES,
            PageId::SingleSignOn => pages::single_sign_on::MESSAGES,
            PageId::AdfsFarm => pages::adfs_farm::MESSAGES,
            PageId::FederationServers => pages::federation_servers::MESSAGES,
            PageId::ProxyServers => pages::proxy_servers::MESSAGES,
            PageId::AdfsServiceAccount => pages::adfs_service_account::MESSAGES,
            PageId::FederatedDomain => pages::federated_domain::MESSAGES,
            PageId::FederationVerification => pages::federation_verification::MESSAGES,
            PageId::PingFederate => pages::ping_federate::MESSAGES,
            PageId::ConvertDomains => pages::convert_domains::MESSAGES,
            PageId::ReadyToConfigure => pages::ready_to_configure::MESSAGES,
            PageId::Configuring => pages::configuring::MESSAGES,
            PageId::Complete => pages::configuring::COMPLETE_MESSAGES,
        }
    }
}

/// The problems of a page for a draft and what probes learned.
pub fn problems_of(page: PageId, draft: &Draft, facts: &Facts) -> Vec<Problem> {
    match page {
        PageId::Welcome => pages::welcome::validate(draft),
        PageId::AdditionalTasks => Vec::new(),
        PageId::Express => pages::express::validate(draft),
        PageId::RequiredComponents => pages::required_components::validate(draft, facts),
        PageId::UserSignIn => pages::user_sign_in::validate(draft),
        PageId::ConnectTenant => pages::connect_tenant::validate(draft, facts),
        PageId::ConnectDirectories => pages::connect_directories::validate(draft, facts),
        PageId::SignInConfiguration => pages::sign_in_configuration::validate(draft, facts),
        PageId::DomainOuFiltering => pages::domain_ou_filtering::validate(draft, facts),
        PageId::IdentifyingUsers => pages::identifying_users::validate(draft, facts),
        PageId::FilterUsers => pages::filter_users::validate(draft, facts),
        PageId::OptionalFeatures => pages::optional_features::validate(draft, facts),
        PageId::AppFiltering => pages::app_filtering::validate_apps(draft, facts),
        PageId::AttributeFiltering => pages::app_filtering::validate_attributes(draft, facts),
        PageId::DirectoryExtensions => pages::directory_extensions::validate(draft, facts),
        PageId::SingleSignOn => pages::single_sign_on::validate(draft, facts),
        PageId::AdfsFarm => pages::adfs_farm::validate(draft, facts),
        PageId::FederationServers => pages::federation_servers::validate(draft),
        PageId::ProxyServers => pages::proxy_servers::validate(draft),
        PageId::AdfsServiceAccount => pages::adfs_service_account::validate(draft, facts),
        PageId::FederatedDomain => pages::federated_domain::validate(draft, facts),
        PageId::FederationVerification => pages::federation_verification::validate(draft, facts),
        PageId::PingFederate => pages::ping_federate::validate(draft, facts),
        PageId::ConvertDomains => pages::convert_domains::validate(facts),
        PageId::ReadyToConfigure => pages::ready_to_configure::validate(draft, facts),
        PageId::Configuring => pages::configuring::validate(draft, facts),
        PageId::Complete => Vec::new(),
    }
}
