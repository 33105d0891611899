//! The wizard's pages, one module per page, named after the page's key (its words are in
//! `wizard-pages/<key>.toml`, its body in `crate::ui::pages`). Each holds its field and message
//! ids, its slice of the draft, its validator and its tests. The federation pages (`adfs_farm`,
//! `federation_servers`, `proxy_servers`, `adfs_service_account`, `federated_domain`,
//! `federation_verification`, `ping_federate`, `convert_domains`) share their state, their
//! messages and their probes' answers in [`super::federation`]; `configuring` holds
//! Configuring and Complete; `app_filtering` holds App filtering and Attribute filtering.

pub mod additional_tasks;
pub mod adfs_farm;
pub mod adfs_service_account;
pub mod app_filtering;
pub mod configuring;
pub mod connect_directories;
pub mod connect_tenant;
pub mod convert_domains;
pub mod directory_extensions;
pub mod domain_ou_filtering;
pub mod express;
pub mod federated_domain;
pub mod federation_servers;
pub mod federation_verification;
pub mod filter_users;
pub mod identifying_users;
pub mod optional_features;
pub mod ping_federate;
pub mod proxy_servers;
pub mod ready_to_configure;
pub mod required_components;
pub mod sign_in_configuration;
pub mod single_sign_on;
pub mod user_sign_in;
pub mod welcome;

use super::probe::Answer;
use super::{Effect, Msg, Wizard};

/// Hands a message to the page that owns it, navigation to the wizard, and a probe's answer to
/// the check of its ticket. One exhaustive match: a new message fails to compile until its
/// owner is named here.
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetLicenceAccepted(..) => welcome::update(w, msg),
        Msg::SetMode(..) => express::update(w, msg),
        Msg::SetSignIn(..) | Msg::SetSingleSignOn(..) | Msg::SetPasswordListen(..) => {
            user_sign_in::update(w, msg)
        }
        Msg::SetTenantUser(..)
        | Msg::SetTenantPassword(..)
        | Msg::SetTenantAuthority(..)
        | Msg::SetTenantGraph(..)
        | Msg::SetTenantClientId(..)
        | Msg::SetTenantCaFile(..)
        | Msg::SetTenantDeviceCode(..)
        | Msg::SignInTenant => connect_tenant::update(w, msg),
        Msg::SetDirectoryServer(..)
        | Msg::SetDirectoryAccount(..)
        | Msg::SetDirectoryPassword(..)
        | Msg::SetDirectoryStartTls(..)
        | Msg::SetDirectoryCaFile(..)
        | Msg::SetDirectoryCreateAccount(..)
        | Msg::AddDirectory
        | Msg::RemoveDirectory(..) => connect_directories::update(w, msg),
        Msg::SetAlternateSignIn(..) => sign_in_configuration::update(w, msg),
        Msg::SetSyncSelected(..)
        | Msg::TickContainer(..)
        | Msg::SetOuSearch(..)
        | Msg::SetOuSelection(..) => domain_ou_filtering::update(w, msg),
        Msg::SetMatching(..) | Msg::SetAnchor(..) => identifying_users::update(w, msg),
        Msg::SetPilotEnabled(..) | Msg::SetPilotGroup(..) | Msg::FindPilotGroup(..) => {
            filter_users::update(w, msg)
        }
        Msg::SetFeature(..) => optional_features::update(w, msg),
        Msg::SetService(..) | Msg::SetAttribute(..) => app_filtering::update(w, msg),
        Msg::SetExtension(..) | Msg::SetExtensionSearch(..) => directory_extensions::update(w, msg),
        Msg::SetSsoAccount(..)
        | Msg::SetSsoPassword(..)
        | Msg::SetSsoSkip(..)
        | Msg::VerifySso(..) => single_sign_on::update(w, msg),
        Msg::SetStaging(..)
        | Msg::SetStartSync(..)
        | Msg::SetServiceChoice(..)
        | Msg::ExportSettingsTo(..) => ready_to_configure::update(w, msg),
        Msg::SetDataDir(..)
        | Msg::Database(..)
        | Msg::TestDatabase
        | Msg::SetImportFile(..)
        | Msg::ImportSettingsFrom(..)
        | Msg::ImportSettings(..) => required_components::update(w, msg),
        Msg::Federation(..)
        | Msg::CheckFarmCertificate
        | Msg::FetchFederationMetadata
        | Msg::RunFederationChecks
        | Msg::SavePingSettings
        | Msg::ConvertToManaged(..) => super::federation::update(w, msg),
        Msg::ChooseTask(..)
        | Msg::SetTaskStaging(..)
        | Msg::ApplyTaskChange
        | Msg::RunCycleNow
        | Msg::ServiceAction(..)
        | Msg::BeginChange(..)
        | Msg::ReadSsoStates
        | Msg::ReadPasswordStatus
        | Msg::NewEnrolmentCode
        | Msg::RefreshSchema
        | Msg::RenewSso(..)
        | Msg::SetTaskSearch(..)
        | Msg::SearchInstalled
        | Msg::ExportInstalledTo(..)
        | Msg::RunChecks
        | Msg::RefreshInstalled => additional_tasks::update(w, msg),
        Msg::ApplyDone(..) | Msg::StepProgress(..) | Msg::RetryApply | Msg::StopApply => {
            configuring::update(w, msg)
        }
        Msg::Answered(ticket, result) => w.probe_done(ticket, result),
        Msg::Browse(..)
        | Msg::Confirm(..)
        | Msg::Next
        | Msg::Back
        | Msg::Cancel
        | Msg::CancelDismissed
        | Msg::CancelConfirmed => w.navigate(msg),
    }
}

/// Hands a probe's answer to the page that asked. One exhaustive match.
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    match result {
        Answer::DatabaseTested(..) | Answer::DataFolder(..) | Answer::ReadSettings(..) => {
            required_components::answered(w, result)
        }
        Answer::WriteSettings(..) => ready_to_configure::answered(w, result),
        Answer::FederationCertificate(..)
        | Answer::FederationMetadata(..)
        | Answer::FarmVerified(..)
        | Answer::ConvertedToManaged(..)
        | Answer::TextSaved(..) => super::federation::answered(w, result),
        Answer::TenantSignIn(..) | Answer::DeviceCode(..) => connect_tenant::answered(w, result),
        Answer::FindGroup(..) => filter_users::answered(w, result),
        Answer::Directory(..) | Answer::ConnectorCreated(..) => {
            connect_directories::answered(w, result)
        }
        Answer::Installed(..)
        | Answer::TaskChanged(..)
        | Answer::Checks(..)
        | Answer::Found(..)
        | Answer::SchemaRefreshed(..)
        | Answer::SsoStates(..)
        | Answer::PasswordStatus(..)
        | Answer::EnrolmentCode(..)
        | Answer::SsoRenewed(..)
        | Answer::ForChange(..)
        | Answer::ServiceDone(..)
        | Answer::TaskCycle(..) => additional_tasks::answered(w, result),
        Answer::SsoVerified(..) => single_sign_on::answered(w, result),
    }
}
