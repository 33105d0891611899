//! Frame times of the wizard window (headless, CPU, egui_kittest): the Domain and OU filtering
//! page with a forest of 5,000 OUs (50 top-level OUs of 100 each), with the regions closed,
//! and while the search box lists 990 matches; the Directory extensions page with a schema of
//! 1,500 attributes users and groups hold, all listed, searched, and with 100 chosen. Prints
//! p50 and p99 (targets ≤ 4 ms and ≤ 16 ms). The forest and tenant answers are made in memory:
//! this measures drawing, not servers.
//!
//!   cargo bench --bench frames

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use skybridge::directory::account::AccountCheck;
use skybridge::directory::discovery::{
    Container, Domain, DomainStatus, Forest, Schema, SchemaAttribute, SchemaClass, UpnSuffix,
};
use skybridge::directory::rootdse::RootDse;
use skybridge::ops::discover::ForestFacts;
use skybridge::secret::Secret;
use skybridge::tenant::api;
use skybridge::wizard::pages::required_components::FolderCheck;
use skybridge::wizard::probe::Answer;
use skybridge::wizard::state::choices::Feature;
use skybridge::wizard::state::tenant::TenantFacts;
use skybridge::wizard::{Effect, InstallMode, Msg, PageId, Position, Wizard};

// The allocator the skybridge binary uses (src/main.rs), so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BASE: &str = "DC=big,DC=test";

fn big_forest() -> ForestFacts {
    let mut containers = vec![Container {
        dn: BASE.into(),
        name: "big".into(),
        parent: None,
        guid: String::new(),
        kind: "domainDNS".into(),
        child_containers: 50,
        advanced: false,
    }];
    for top in 0..50 {
        let top_dn = format!("OU=Region {top:02},{BASE}");
        containers.push(Container {
            dn: top_dn.clone(),
            name: format!("Region {top:02}"),
            parent: Some(BASE.into()),
            guid: String::new(),
            kind: "organizationalUnit".into(),
            child_containers: 99,
            advanced: false,
        });
        for child in 0..99 {
            containers.push(Container {
                dn: format!("OU=Site {top:02}-{child:02},{top_dn}"),
                name: format!("Site {top:02}-{child:02}"),
                parent: Some(top_dn.clone()),
                guid: String::new(),
                kind: "organizationalUnit".into(),
                child_containers: 0,
                advanced: false,
            });
        }
    }
    ForestFacts {
        forest: Forest {
            name: "big.test".into(),
            server: "dc1.big.test".into(),
            forest_functional_level: Some(7),
            forest_functional_level_name: None,
            domains: vec![Domain {
                dns_name: "big.test".into(),
                netbios_name: "BIG".into(),
                naming_context: BASE.into(),
                forest_root: true,
                sid: None,
                functional_level: Some(7),
                status: DomainStatus::Reachable { containers },
            }],
            upn_suffixes: vec![UpnSuffix {
                suffix: "big.test".into(),
                source: "domain",
            }],
            schema: big_schema(),
            exchange_schema: false,
            kds_root_key: None,
            root_dse: RootDse::from_attrs(&Default::default()),
        },
        account: AccountCheck {
            dn: format!("CN=sky,{BASE}"),
            sam_account_name: Some("sky".into()),
            privileged_groups: Vec::new(),
            can_read_changes: true,
            acceptable: true,
            findings: Vec::new(),
        },
        anchor_write: Vec::new(),
    }
}

/// A schema of 1,500 attributes users or groups hold (strings, integers, binary; a tenth
/// multi-valued), with the anchor attribute the managed sourceAnchor needs.
fn big_schema() -> Schema {
    let syntaxes = ["2.5.5.12", "2.5.5.9", "2.5.5.10", "2.5.5.12", "2.5.5.4"];
    let mut attributes: Vec<SchemaAttribute> = (0..1500)
        .map(|i| SchemaAttribute {
            name: format!("bigAttribute{i:04}"),
            syntax: syntaxes[i % syntaxes.len()].into(),
            om_syntax: None,
            single_valued: i % 10 != 0,
            schema_id_guid: None,
            constructed: false,
        })
        .collect();
    for name in ["mS-DS-ConsistencyGuid", "objectGUID", "mail"] {
        attributes.push(SchemaAttribute {
            name: name.into(),
            syntax: "2.5.5.10".into(),
            om_syntax: None,
            single_valued: true,
            schema_id_guid: None,
            constructed: false,
        });
    }
    let names = |range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("bigAttribute{i:04}")).collect()
    };
    let mut user = names(0..1300);
    user.extend(["mS-DS-ConsistencyGuid", "objectGUID", "mail"].map(String::from));
    Schema {
        attributes,
        classes: vec![
            SchemaClass {
                name: "user".into(),
                superior: Some("top".into()),
                attributes: user,
                auxiliary: Vec::new(),
            },
            SchemaClass {
                name: "group".into(),
                superior: Some("top".into()),
                attributes: names(1200..1500),
                auxiliary: Vec::new(),
            },
        ],
    }
}

/// Answers a probe the wizard asked for with a made-up answer.
fn answer(wizard: &mut Wizard, effects: Vec<Effect>, result: Answer) {
    for effect in effects {
        if let Effect::Probe(ticket, _) = effect {
            wizard.update(Msg::Answered(ticket, result.clone()));
        }
    }
}

/// A wizard on the Domain and OU filtering page with the big forest added.
fn wizard_on_ou_page() -> Wizard {
    let mut w = Wizard::new();
    w.update(Msg::SetLicenceAccepted(true));
    w.update(Msg::Next);
    w.update(Msg::SetMode(InstallMode::Custom));
    // Required components: the data folder's check is answered as usable.
    let asked = w.update(Msg::Next);
    let folder = w.draft().data_dir.clone();
    answer(
        &mut w,
        asked,
        Answer::DataFolder(folder, FolderCheck::Usable),
    );
    w.update(Msg::Next);
    w.update(Msg::Next);
    w.update(Msg::SetTenantUser("admin@big.onmicrosoft.com".into()));
    w.update(Msg::SetTenantPassword(Secret::new("pw")));
    let asked = w.update(Msg::SignInTenant);
    let tenant = TenantFacts {
        user: "admin@big.onmicrosoft.com".into(),
        tenant_id: "t".into(),
        display_name: "Big".into(),
        domains: vec![api::Domain {
            id: "big.test".into(),
            is_verified: true,
            is_default: true,
            is_initial: false,
            authentication_type: "Managed".into(),
        }],
        admin: Default::default(),
    };
    answer(&mut w, asked, Answer::TenantSignIn(Ok(tenant)));
    w.update(Msg::Next);
    w.update(Msg::SetDirectoryServer("ldaps://dc1.big.test".into()));
    w.update(Msg::SetDirectoryAccount("BIG\\sky".into()));
    w.update(Msg::SetDirectoryPassword(Secret::new("pw")));
    let asked = w.update(Msg::AddDirectory);
    answer(&mut w, asked, Answer::Directory(Ok(Box::new(big_forest()))));
    w.update(Msg::Next);
    w.update(Msg::Next);
    w.update(Msg::SetSyncSelected(true));
    assert_eq!(w.position(), Position::Page(PageId::DomainOuFiltering));
    w
}

/// A wizard on the Directory extensions page, from the OU page, with everything synchronized.
fn wizard_on_extensions_page() -> Wizard {
    let mut w = wizard_on_ou_page();
    w.update(Msg::SetSyncSelected(false));
    while w.position() != Position::Page(PageId::OptionalFeatures) {
        let before = w.position();
        w.update(Msg::Next);
        assert_ne!(w.position(), before, "stuck on {before:?}");
    }
    w.update(Msg::SetFeature(Feature::DirectoryExtensions, true));
    w.update(Msg::Next);
    assert_eq!(w.position(), Position::Page(PageId::DirectoryExtensions));
    w
}

fn harness(wizard: Wizard) -> Harness<'static, Wizard> {
    Harness::builder().with_size([920.0, 640.0]).build_ui_state(
        |ui, wizard: &mut Wizard| {
            for msg in skybridge::ui::shell::show(ui, wizard) {
                wizard.update(msg);
            }
        },
        wizard,
    )
}

fn measure(label: &str, harness: &mut Harness<'static, Wizard>, frames: usize) {
    // Warm up (first layout, fonts).
    harness.run_steps(3);
    let mut times: Vec<Duration> = (0..frames)
        .map(|_| {
            let started = Instant::now();
            harness.step();
            started.elapsed()
        })
        .collect();
    times.sort();
    let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "{label:<44} p50 {:>6.2} ms   p99 {:>6.2} ms   (targets <= 4 / <= 16 ms)",
        p(0.50),
        p(0.99)
    );
}

fn main() {
    let started = Instant::now();
    let mut h = harness(wizard_on_ou_page());
    h.run_steps(1);
    println!(
        "wizard made and first OU page frame drawn:   {:.0} ms (target <= 500 ms from start)",
        started.elapsed().as_secs_f64() * 1000.0
    );
    measure("OU page, 5,000 OUs, regions closed", &mut h, 300);
    let mut w = wizard_on_ou_page();
    w.update(Msg::SetOuSearch("site 0".into()));
    let mut searched = harness(w);
    measure("OU page, 5,000 OUs, search lists 990", &mut searched, 300);
    let mut extensions = harness(wizard_on_extensions_page());
    measure(
        "Extensions page, 1,500 attributes listed",
        &mut extensions,
        300,
    );
    let mut w = wizard_on_extensions_page();
    w.update(Msg::SetExtensionSearch("Attribute1".into()));
    measure("Extensions page, search lists 500", &mut harness(w), 300);
    let mut w = wizard_on_extensions_page();
    for i in 0..100 {
        w.update(Msg::SetExtension(format!("bigAttribute{i:04}"), true));
    }
    measure("Extensions page, 100 chosen", &mut harness(w), 300);
}
