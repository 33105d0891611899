//! The Connect to tenant page: sign-in name, password, advanced endpoint settings, the Sign in
//! button with a spinner while the sign-in runs, and what the sign-in learned.

use crate::secret::Secret;
use crate::ui::widgets::{form_grid, text_row};
use crate::wizard::pages::connect_tenant::{
    ADVANCED, AUTHORITY, CA_FILE, CLIENT_ID, DEVICE_CODE, DOMAIN_NOT_VERIFIED, DOMAIN_VERIFIED,
    GRAPH, PASSWORD, SIGN_IN, SIGNED_IN, SIGNING_IN, USER,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// An endpoint setting: field id, value, and the message that changes it.
type Row<'a> = (&'static str, &'a String, fn(String) -> Msg);

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::ConnectTenant);
    let t = &wizard.draft().tenant;
    let mut msgs = Vec::new();
    form_grid("tenant-sign-in").show(ui, |ui| {
        if t.device_code {
            return;
        }
        if let Some(v) = text_row(ui, words.field(USER), &t.user, false) {
            msgs.push(Msg::SetTenantUser(v));
        }
        if let Some(v) = text_row(ui, words.field(PASSWORD), t.password.expose(), true) {
            msgs.push(Msg::SetTenantPassword(Secret::new(v)));
        }
    });
    let mut device = t.device_code;
    if ui.checkbox(&mut device, words.field(DEVICE_CODE)).changed() {
        msgs.push(Msg::SetTenantDeviceCode(device));
    }
    egui::CollapsingHeader::new(words.field(ADVANCED))
        .id_salt("tenant-advanced")
        .show(ui, |ui| {
            let rows: [Row<'_>; 4] = [
                (AUTHORITY, &t.authority, Msg::SetTenantAuthority),
                (GRAPH, &t.graph, Msg::SetTenantGraph),
                (CLIENT_ID, &t.client_id, Msg::SetTenantClientId),
                (CA_FILE, &t.ca_file, Msg::SetTenantCaFile),
            ];
            form_grid("tenant-endpoint").show(ui, |ui| {
                for (field, value, msg) in rows {
                    if let Some(v) = text_row(ui, words.field(field), value, false) {
                        msgs.push(msg(v));
                    }
                }
            });
        });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let busy = wizard.probing(ProbeKind::TenantSignIn);
        if ui
            .add_enabled(!busy, egui::Button::new(words.field(SIGN_IN)))
            .clicked()
        {
            msgs.push(Msg::SignInTenant);
        }
        if busy {
            ui.spinner();
            ui.label(words.message(SIGNING_IN));
        }
    });
    if let Some(Ok(facts)) = &wizard.facts().tenant {
        ui.add_space(6.0);
        ui.label(
            egui::RichText::new(format!(
                "{} {} ({})",
                words.field(SIGNED_IN),
                facts.display_name,
                facts.initial_domain().unwrap_or(&facts.tenant_id)
            ))
            .strong(),
        );
        for d in &facts.domains {
            let state = words.field(if d.is_verified {
                DOMAIN_VERIFIED
            } else {
                DOMAIN_NOT_VERIFIED
            });
            ui.label(format!("  {} — {state}", d.id));
        }
    }
    msgs
}
