//! The device code flow: `POST /{tenant}/oauth2/v2.0/devicecode` starts a sign-in, and
//! [`settle_device`] is the emulator's stand-in for the user finishing or refusing it. (The token
//! endpoint's device code grant, which polls the flow, is in `grants`.)

use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use serde_json::json;

use super::super::state::Tenant;
use super::super::util;
use super::tokens::key;
use super::{TokenAnswer, bad, check_delegated_scope, check_tenant, find_client, find_upn, form};

pub(super) const DEVICE_LIFETIME: Duration = Duration::from_secs(900);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DeviceState {
    Pending,
    Approved(String),
    Declined,
}

#[derive(Debug, Clone)]
pub(super) struct DeviceFlow {
    user_code: String,
    pub(super) client_id: String,
    pub(super) scope: String,
    pub(super) expires: SystemTime,
    pub(super) state: DeviceState,
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub fn devicecode(t: &Tenant, tenant: &str, base: &str, body: &[u8]) -> TokenAnswer {
    if let Err(refusal) = check_tenant(t, tenant, true) {
        return refusal;
    }
    let f = form(body);
    let client_id = f.get("client_id").cloned().unwrap_or_default();
    if find_client(t, &client_id).is_none() {
        return bad(
            t,
            "unauthorized_client",
            700016,
            &format!("No application with identifier '{client_id}' exists in this tenant."),
        );
    }
    let scope = match check_delegated_scope(t, f.get("scope")) {
        Ok(s) => s,
        Err(e) => return e,
    };
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let user_code: String = util::random_bytes(9)
        .iter()
        .map(|b| char::from(LETTERS[usize::from(*b) % LETTERS.len()]))
        .collect();
    let device_code = util::random_token(48);
    let uri = format!("{base}/_emulator/device");
    let mut tokens = t.tokens.lock().unwrap_or_else(|e| e.into_inner());
    tokens.prune(t.now());
    tokens.device.insert(
        key(&device_code),
        DeviceFlow {
            user_code: user_code.clone(),
            client_id,
            scope,
            expires: t.now() + DEVICE_LIFETIME,
            state: DeviceState::Pending,
        },
    );
    (
        StatusCode::OK,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
            "expires_in": DEVICE_LIFETIME.as_secs(),
            "interval": 5,
            "message": format!("To sign in, open {uri} in a web browser and enter the code {user_code}. (Emulator: approve with POST {uri}/approve.)"),
        }),
    )
}

/// Why a device code sign-in cannot be settled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    /// No enabled user has that sign-in name.
    #[error("no enabled user '{0}' exists in this tenant")]
    NoUser(String),
    /// Approving without naming the user.
    #[error("approving needs the 'upn' of the user who signs in")]
    NoUpn,
    /// No pending sign-in has the code.
    #[error("no pending sign-in has this user code")]
    NotPending,
}

/// The emulator's stand-in for the user finishing (or refusing) a device code sign-in.
pub fn settle_device(
    t: &Tenant,
    user_code: &str,
    upn: Option<&str>,
    approve: bool,
) -> Result<(), SettleError> {
    let user_id = match (approve, upn) {
        (true, Some(upn)) => match find_upn(t, upn) {
            Some(user) if user.props.get("accountEnabled") != Some(&json!(false)) => {
                Some(user.id().to_owned())
            }
            _ => return Err(SettleError::NoUser(upn.to_string())),
        },
        (true, None) => return Err(SettleError::NoUpn),
        (false, _) => None,
    };
    let mut tokens = t.tokens.lock().unwrap_or_else(|e| e.into_inner());
    let now = t.now();
    let Some(flow) = tokens.device.values_mut().find(|f| {
        f.user_code.eq_ignore_ascii_case(user_code.trim())
            && f.expires > now
            && f.state == DeviceState::Pending
    }) else {
        return Err(SettleError::NotPending);
    };
    flow.state = match user_id {
        Some(id) => DeviceState::Approved(id),
        None => DeviceState::Declined,
    };
    Ok(())
}
