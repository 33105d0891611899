//! The bodies of the wizard's pages, one module per page, named after the page's key (as its
//! words in `wizard-pages/<key>.toml` and its state in `crate::wizard::pages`). What the
//! federation pages share is drawn by [`crate::ui::federation`]; `configuring` draws
//! Configuring and Complete.

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
