//! How tests and benchmarks start the tenant emulator: on a free loopback port, its data in a
//! folder the caller names, configured by the caller (domains, passwords, budgets, a clock).
//!
//! It uses the `skybridge` crate only, so the emulator's own tests and the benchmarks include
//! this file with `#[path]` and other tests reach it as `common::emulator`.

use std::path::Path;

use skybridge::emulator::{EmulatorConfig, RunningEmulator};
use skybridge::secret::Secret;

/// An emulator configuration listening on a free loopback port with its data in `dir`: the
/// emulator's defaults, then what `tweak` changes.
pub fn emulator_config(dir: &Path, tweak: impl FnOnce(&mut EmulatorConfig)) -> EmulatorConfig {
    let mut config = EmulatorConfig::new("127.0.0.1:0".parse().expect("addr"), dir);
    tweak(&mut config);
    config
}

/// Starts an emulator configured by [`emulator_config`].
pub async fn start_emulator(
    dir: &Path,
    tweak: impl FnOnce(&mut EmulatorConfig),
) -> RunningEmulator {
    skybridge::emulator::start(emulator_config(dir, tweak))
        .await
        .expect("the emulator starts")
}

/// The tenant of the sync tests and benchmarks: `contoso.com` verified, the administrators'
/// password `admin_password` and, when given, the built-in application's secret.
pub fn contoso(config: &mut EmulatorConfig, admin_password: &str, client_secret: Option<&str>) {
    config.domains = vec!["contoso.com".into()];
    config.admin_password = Some(Secret::new(admin_password));
    if let Some(secret) = client_secret {
        config.client_secret = Some(Secret::new(secret));
    }
}
