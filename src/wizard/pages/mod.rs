//! The wizard's pages, one module per page, named after the page's key (its words are in
//! `wizard-pages/<key>.toml`, its body in `crate::ui::pages`). Each holds its field and message
//! ids, its slice of the draft, its validator and its tests. `federation` holds the federation
//! pages (AD FS farm, servers, proxies, service account, domain, verification, PingFederate,
//! converting a domain back); `configuring` holds Configuring and Complete;
//! `app_filtering` holds App filtering and Attribute filtering.

pub mod additional_tasks;
pub mod app_filtering;
pub mod configuring;
pub mod connect_directories;
pub mod connect_tenant;
pub mod directory_extensions;
pub mod domain_ou_filtering;
pub mod express;
pub mod federation;
pub mod filter_users;
pub mod identifying_users;
pub mod optional_features;
pub mod ready_to_configure;
pub mod required_components;
pub mod sign_in_configuration;
pub mod single_sign_on;
pub mod user_sign_in;
pub mod welcome;
