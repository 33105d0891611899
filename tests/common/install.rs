//! An installation written the way `skybridge apply` leaves one (settings file, secrets in the
//! keychain), for tests that run the real `skybridge` binary against it.

use std::path::Path;

use skybridge::emulator::RunningEmulator;
use skybridge::engine::install::{DirectoryConnection, Installation, TenantConnection};
use skybridge::engine::sync::{ConnectorScope, SyncSettings};
use skybridge::secret::Secret;

use super::Forest;

/// Writes an installation for `forest` (its OU `ou` in scope) and `emulator` (the engine's
/// application secret `secret`) into `data`, its secrets under keychain service `service`.
pub fn write(
    data: &Path,
    forest: &Forest,
    ou: &str,
    emulator: &RunningEmulator,
    secret: &str,
    service: &str,
) -> Installation {
    let endpoint = emulator.tenant_endpoint();
    let installation = Installation {
        sync: SyncSettings::new(
            vec![ConnectorScope {
                name: forest.dns.clone(),
                domains: vec![(forest.base_dn.clone(), forest.dns.clone())],
                included: vec![format!("{ou},{}", forest.base_dn)],
                excluded: Vec::new(),
            }],
            vec!["contoso.com".into(), "contoso.onmicrosoft.com".into()],
            "contoso.onmicrosoft.com",
        ),
        directories: vec![DirectoryConnection {
            connector: forest.dns.clone(),
            server: forest.url.clone(),
            starttls: false,
            ca_file: Some(forest.ca_file.clone()),
            account: forest.admin.clone(),
        }],
        tenant: TenantConnection {
            authority: endpoint.authority,
            graph: endpoint.graph,
            client_id: endpoint.client_id,
            ca_file: None,
            write_budget: 1_000_000,
            budget_window_seconds: 300,
        },
        keychain_service: service.to_string(),
        history_days: 7,
        sign_in: None,
        single_sign_on: false,
        database: None,
        password_sync: None,
    };
    installation.save(data).expect("settings written");
    installation
        .store_directory_password(&forest.dns, &forest.admin_secret())
        .expect("directory password in the keychain");
    installation
        .store_client_secret(&Secret::new(secret))
        .expect("secret in the keychain");
    installation
}
