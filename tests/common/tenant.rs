//! The tenant emulator in the test process, on loopback: a binary or window under test reaches
//! it as it would a remote tenant. Stopped, and its folder removed, when dropped.

use serde_json::Value;
use skybridge::secret::Secret;

use super::emulator::{contoso, start_emulator};

/// The emulator administrator's password in tests.
pub const TENANT_PASSWORD: &str = "Emulator-Admin-Pw-1";

/// A running emulator with its folder.
pub struct Tenant {
    /// The runtime it runs on (tests use it to call the tenant too).
    pub rt: tokio::runtime::Runtime,
    emulator: Option<skybridge::emulator::RunningEmulator>,
    dir: std::path::PathBuf,
}

impl Tenant {
    /// Starts one with `contoso.com` verified, its data in a folder named after `label`.
    pub fn start(label: &str) -> Tenant {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let dir = std::env::temp_dir().join(format!(
            "skybridge-tenant-{label}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        let emulator = rt.block_on(start_emulator(&dir.join("tenant"), |config| {
            contoso(config, TENANT_PASSWORD, None)
        }));
        Tenant {
            rt,
            emulator: Some(emulator),
            dir,
        }
    }

    /// The running emulator.
    pub fn emulator(&self) -> &skybridge::emulator::RunningEmulator {
        self.emulator.as_ref().expect("running")
    }

    /// A settings file for `forest` and this tenant: hash sync, managed anchor, matching by
    /// mail, only `included` synchronized; the connector `account`'s password is named by the
    /// environment variable `directory_env`, the tenant administrator's by `tenant_env`.
    pub fn settings_file(
        &self,
        forest: &super::Forest,
        account: &str,
        tenant_env: &str,
        directory_env: &str,
        included: &str,
    ) -> Value {
        let endpoint = self.emulator().tenant_endpoint();
        serde_json::json!({
            "version": 1,
            "signIn": "passwordHashSync",
            // Agents would deliver to a loopback port of the system's choosing.
            "passwordSync": {"listen": "127.0.0.1:0"},
            "tenant": {
                "authority": endpoint.authority,
                "graph": endpoint.graph,
                "clientId": endpoint.client_id,
                "user": self.emulator().credentials.admin_upn,
                "password": {"env": tenant_env},
            },
            "directories": [{
                "server": forest.url,
                "caFile": forest.ca_file,
                "account": account,
                "password": {"env": directory_env},
                "ouFilter": {"included": [included]},
            }],
            "syncSelected": true,
            "matching": {"by": "mail"},
            "anchor": {"mode": "managed"},
        })
    }

    /// Every user of the tenant, read by its administrator through Graph.
    pub fn users(&self) -> Vec<Value> {
        self.users_with("id,userPrincipalName,onPremisesImmutableId")
    }

    /// Every user of the tenant with these properties (`$select`, as v1.0 needs it for
    /// extension properties).
    pub fn users_with(&self, select: &str) -> Vec<Value> {
        self.rt.block_on(async {
            self.admin_graph()
                .await
                .collect(&format!("users?$select={select}&$top=999"))
                .await
                .expect("users")
        })
    }
}

impl Tenant {
    /// Graph, signed in as the tenant's administrator.
    pub async fn admin_graph(&self) -> skybridge::tenant::graph::GraphClient {
        self.emulator()
            .tenant_endpoint()
            .connect(&skybridge::tenant::SignIn::Password {
                user: self.emulator().credentials.admin_upn.clone(),
                password: Secret::new(TENANT_PASSWORD),
            })
            .await
            .expect("admin sign-in")
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        if let Some(e) = self.emulator.take() {
            let _ = self.rt.block_on(e.stop());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every request an emulator has logged (`/_emulator/requests`), oldest first.
pub async fn emulator_log(emulator: &skybridge::emulator::RunningEmulator) -> Vec<Value> {
    let http = skybridge::tenant::graph::http_client(None, std::time::Duration::from_secs(10))
        .expect("http");
    http.get(format!("{}/_emulator/requests", emulator.base_url()))
        .send()
        .await
        .expect("log")
        .json::<Vec<Value>>()
        .await
        .expect("log JSON")
}
