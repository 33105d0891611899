//! `skybridge probe …` and `skybridge account create`: checks of a server, a forest, an
//! account, a certificate or a tenant that change nothing (but for creating the account).

use std::io::Write;

use super::args::{CertificateArgs, CreateAccountArgs, ServerArgs, SignInArgs, TenantArgs};
use super::{password_from_env, print_json};
use crate::directory::discovery::{self, DomainStatus, Forest};
use crate::directory::{RootDse, ServerSpec, account, rootdse};
use crate::secret::Secret;

/// Runs `probe certificate`.
pub fn probe_certificate(args: &CertificateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::federation::certificate::{Outcome, check_file};
    let password = match &args.password_env {
        Some(var) => password_from_env(var)?,
        None => Secret::default(),
    };
    let now = crate::clock::unix_now() as i64;
    let found = check_file(&args.file, password.expose(), &args.name, now);
    if args.json {
        print_json(out, &found)?;
    } else {
        for f in &found {
            let mark = match f.outcome {
                Outcome::Pass => "ok  ",
                Outcome::Warn => "WARN",
                Outcome::Fail => "FAIL",
            };
            writeln!(out, "{mark}  {:?}: {}", f.check, f.detail)?;
        }
    }
    let failed = found.iter().filter(|f| f.outcome == Outcome::Fail).count();
    if failed > 0 {
        anyhow::bail!(
            "{}: {failed} check(s) failed for {}",
            args.file.display(),
            args.name
        );
    }
    Ok(())
}

/// Runs `probe server` and writes its report to `out`.
pub fn probe_server(args: &ServerArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let spec = args.spec()?;
    let dse = rootdse::probe(&spec)?;
    if args.json {
        print_json(out, &dse)?;
    } else {
        write_root_dse(&spec, &dse, out)?;
    }
    Ok(())
}

fn write_root_dse(spec: &ServerSpec, dse: &RootDse, out: &mut dyn Write) -> std::io::Result<()> {
    let unknown = || "(not given)".to_string();
    writeln!(out, "Server:              {}", spec.url())?;
    writeln!(
        out,
        "Host name:           {}",
        dse.dns_host_name.clone().unwrap_or_else(unknown)
    )?;
    writeln!(
        out,
        "Active Directory:    {}",
        if dse.is_active_directory() {
            "yes"
        } else {
            "no"
        }
    )?;
    writeln!(
        out,
        "Domain:              {}",
        dse.default_naming_context.clone().unwrap_or_else(unknown)
    )?;
    writeln!(
        out,
        "Forest root:         {}",
        dse.root_domain_naming_context
            .clone()
            .unwrap_or_else(unknown)
    )?;
    for (label, level) in [
        ("Domain level:        ", dse.domain_functionality),
        ("Forest level:        ", dse.forest_functionality),
    ] {
        match level {
            Some(n) => writeln!(out, "{label}{n} ({})", RootDse::level_name(n))?,
            None => writeln!(out, "{label}(not given)")?,
        }
    }
    writeln!(
        out,
        "Highest USN:         {}",
        dse.highest_committed_usn
            .map_or_else(unknown, |usn| usn.to_string())
    )?;
    writeln!(
        out,
        "Change feed:         {}",
        if dse.supports_control(rootdse::OID_DIRSYNC) {
            "DirSync supported"
        } else {
            "no DirSync (delta imports would use USN watermarks)"
        }
    )?;
    writeln!(out, "Naming contexts:")?;
    for nc in &dse.naming_contexts {
        writeln!(out, "  {nc}")?;
    }
    Ok(())
}

/// Runs `probe forest` and writes its report to `out`.
pub fn probe_forest(args: &SignInArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (mut session, password) = args.open()?;
    let forest = discovery::discover(&mut session, &password)?;
    session.close();
    if args.server.json {
        print_json(out, &forest_report(&forest))?;
    } else {
        write_forest(&forest, out)?;
    }
    Ok(())
}

/// The JSON shape of `probe forest`: the forest with a flat OU list and a schema summary.
pub fn forest_report(forest: &Forest) -> serde_json::Value {
    let ous: Vec<serde_json::Value> = forest
        .domains
        .iter()
        .flat_map(|d| match &d.status {
            DomainStatus::Reachable { containers } => containers
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "domain": d.dns_name,
                        "dn": c.dn,
                        "name": c.name,
                        "parent": c.parent,
                        "guid": c.guid,
                        "kind": c.kind,
                        "childContainers": c.child_containers,
                        "advanced": c.advanced,
                    })
                })
                .collect::<Vec<_>>(),
            DomainStatus::Unreachable { .. } => Vec::new(),
        })
        .collect();
    let domains: Vec<serde_json::Value> = forest
        .domains
        .iter()
        .map(|d| {
            let (reachable, reason) = match &d.status {
                DomainStatus::Reachable { .. } => (true, None),
                DomainStatus::Unreachable { reason } => (false, Some(reason.clone())),
            };
            serde_json::json!({
                "dnsName": d.dns_name,
                "netbiosName": d.netbios_name,
                "namingContext": d.naming_context,
                "forestRoot": d.forest_root,
                "sid": d.sid,
                "functionalLevel": d.functional_level,
                "reachable": reachable,
                "unreachableReason": reason,
            })
        })
        .collect();
    let single = forest
        .schema
        .attributes
        .iter()
        .filter(|a| a.single_valued)
        .count();
    serde_json::json!({
        "forest": forest.name,
        "server": forest.server,
        "forestFunctionalLevel": forest.forest_functional_level,
        "forestFunctionalLevelName": forest.forest_functional_level_name,
        "domains": domains,
        "upnSuffixes": forest.upn_suffixes,
        "ous": ous,
        "schema": {
            "attributes": forest.schema.attributes.len(),
            "singleValuedAttributes": single,
            "classes": forest.schema.classes.len(),
            "consistencyGuid": forest.schema.attribute("mS-DS-ConsistencyGuid").is_some(),
        },
        "exchangeSchema": forest.exchange_schema,
        "kdsRootKey": forest.kds_root_key,
    })
}

fn write_forest(forest: &Forest, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "Forest:              {}", forest.name)?;
    writeln!(out, "Answered by:         {}", forest.server)?;
    match (
        forest.forest_functional_level,
        forest.forest_functional_level_name,
    ) {
        (Some(n), Some(name)) => writeln!(out, "Forest level:        {n} ({name})")?,
        _ => writeln!(out, "Forest level:        (not given)")?,
    }
    writeln!(
        out,
        "Exchange schema:     {}",
        if forest.exchange_schema {
            "present"
        } else {
            "not present"
        }
    )?;
    writeln!(
        out,
        "KDS root key:        {}",
        match forest.kds_root_key {
            Some(true) => "present",
            Some(false) => "none (group managed service accounts cannot be used yet)",
            None => "unknown (this account may not read the key container)",
        }
    )?;
    writeln!(
        out,
        "Schema:              {} attributes, {} classes",
        forest.schema.attributes.len(),
        forest.schema.classes.len()
    )?;
    writeln!(out, "UPN suffixes:")?;
    for s in &forest.upn_suffixes {
        writeln!(out, "  {} ({})", s.suffix, s.source)?;
    }
    writeln!(out, "Domains:")?;
    for d in &forest.domains {
        writeln!(
            out,
            "  {} ({}){}",
            d.dns_name,
            d.netbios_name,
            if d.forest_root { ", forest root" } else { "" }
        )?;
        match &d.status {
            DomainStatus::Unreachable { reason } => writeln!(out, "    unreachable: {reason}")?,
            DomainStatus::Reachable { containers } => {
                for c in containers.iter().filter(|c| !c.advanced) {
                    // RDN counts, escape-aware (`OU=a\=b` is one level).
                    let rdns =
                        |dn: &str| crate::directory::escape::split_dn(dn).map_or(0, |p| p.len());
                    let depth = rdns(&c.dn).saturating_sub(rdns(&d.naming_context));
                    writeln!(out, "    {}{}", "  ".repeat(depth), c.name)?;
                }
            }
        }
    }
    Ok(())
}

/// Runs `probe account` and writes its verdict to `out`; an unacceptable account is an error
/// (exit status 1) after the findings are printed.
pub fn probe_account(args: &SignInArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (mut session, _password) = args.open()?;
    let check = account::check(&mut session)?;
    session.close();
    if args.server.json {
        print_json(out, &check)?;
    } else {
        writeln!(out, "Account:             {}", check.dn)?;
        writeln!(
            out,
            "Connector account:   {}",
            if check.acceptable {
                "acceptable"
            } else {
                "not acceptable"
            }
        )?;
        for finding in &check.findings {
            writeln!(out, "  - {finding}")?;
        }
    }
    if !check.acceptable {
        anyhow::bail!("{} cannot be the connector account", args.user);
    }
    Ok(())
}

/// Runs `account create`: the account is made, its password written to the file, its name
/// printed.
pub fn account_create(args: &CreateAccountArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    // Refuse before changing the directory if the password would have nowhere to go.
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    let mut file = file.open(&args.password_file).map_err(|e| {
        anyhow::anyhow!(
            "cannot create {} for the password: {e} (it must not exist yet)",
            args.password_file.display()
        )
    })?;
    let (mut session, _password) = args.admin.open()?;
    let request = account::NewAccount {
        parent_dn: args.ou.clone(),
        name: args.name.clone(),
        rights: account::Rights {
            consistency_guid_ous: args.anchor_writeback.clone(),
            ..account::Rights::default()
        },
    };
    let created = match account::create(&mut session, &request) {
        Ok(created) => created,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&args.password_file);
            return Err(e.into());
        }
    };
    session.close();
    file.write_all(created.password.expose().as_bytes())?;
    writeln!(out, "Created:   {}", created.dn)?;
    writeln!(out, "Sign in as {}", created.account.bind_name())?;
    writeln!(out, "Password:  in {}", args.password_file.display())?;
    Ok(())
}

/// Runs `probe tenant`; the device-code prompt goes to `prompt` (stderr in the binary).
pub fn probe_tenant(
    args: &TenantArgs,
    out: &mut dyn Write,
    prompt: &mut dyn Write,
) -> anyhow::Result<()> {
    use crate::tenant::{SignIn, TenantEndpoint};
    let endpoint = TenantEndpoint {
        authority: args.authority.clone(),
        graph: args.graph.clone(),
        client_id: args.client_id.clone(),
        ca_file: args.ca.clone(),
        ..TenantEndpoint::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let graph = if args.device_code {
            let clock: std::sync::Arc<dyn crate::clock::Clock> =
                std::sync::Arc::new(crate::clock::SystemClock::default());
            let identity = endpoint.identity(clock.clone())?;
            let code = identity.device_code(&endpoint.scope).await?;
            writeln!(prompt, "{}", code.message)?;
            prompt.flush()?;
            let tokens = identity.poll_device_code(&code).await?;
            endpoint.graph_with(identity, tokens, clock)?
        } else {
            let user = args.user.clone().ok_or_else(|| {
                anyhow::anyhow!("give --user and --password-env, or sign in with --device-code")
            })?;
            let var = args.password_env.clone().ok_or_else(|| {
                anyhow::anyhow!("give --password-env with the name of the variable holding the password")
            })?;
            let password = password_from_env(&var)?;
            endpoint.connect(&SignIn::Password { user, password }).await?
        };
        let org = graph.organization().await?;
        let domains = graph.domains().await?;
        anyhow::Ok(serde_json::json!({
            "tenantId": org.id,
            "displayName": org.display_name,
            "initialDomain": org.initial_domain(),
            "directorySyncEnabled": org.on_premises_sync_enabled,
            "verifiedDomains": domains.iter().filter(|d| d.is_verified).map(|d| &d.id).collect::<Vec<_>>(),
            "unverifiedDomains": domains.iter().filter(|d| !d.is_verified).map(|d| &d.id).collect::<Vec<_>>(),
            "federatedDomains": domains.iter().filter(|d| d.authentication_type == "Federated").map(|d| &d.id).collect::<Vec<_>>(),
        }))
    })?;
    if args.json {
        print_json(out, &report)?;
    } else {
        let list = |key: &str| {
            report[key]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "(none)".into())
        };
        writeln!(
            out,
            "Tenant:              {} ({})",
            report["displayName"].as_str().unwrap_or(""),
            report["tenantId"].as_str().unwrap_or("")
        )?;
        writeln!(
            out,
            "Initial domain:      {}",
            report["initialDomain"].as_str().unwrap_or("(unknown)")
        )?;
        writeln!(out, "Verified domains:    {}", list("verifiedDomains"))?;
        writeln!(out, "Unverified domains:  {}", list("unverifiedDomains"))?;
        writeln!(
            out,
            "Directory sync:      {}",
            match report["directorySyncEnabled"].as_bool() {
                Some(true) => "enabled",
                Some(false) => "was enabled, now off",
                None => "never enabled",
            }
        )?;
    }
    Ok(())
}
