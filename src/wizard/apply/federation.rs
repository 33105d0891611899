//! The federation steps: the identity provider's metadata read (a new farm's deployment script
//! saved first), then the tenant domain federated with it and the checks made for the Complete
//! page.

use super::{Carried, DONE_FEDERATED, DONE_FEDERATION_METADATA, DONE_SCRIPT, StepError, words};
use crate::wizard::plan::InstallPlan;

/// Saves a new farm's deployment script and waits for the farm's metadata; for an existing
/// farm or PingFederate, takes the metadata the pages read.
pub(super) async fn federation_metadata(
    plan: &InstallPlan,
    carried: &mut Carried,
) -> Result<String, StepError> {
    use crate::federation::certificate::Outcome;
    use crate::federation::verify::{metadata_row, read_metadata};
    let Some(fed) = &plan.federation else {
        return Err("the plan federates no domain".into());
    };
    let mut lines = Vec::new();
    let mut script_path = None;
    if let Some(script) = &fed.script {
        let path = plan.data_dir.join("adfs-deploy.ps1");
        std::fs::write(&path, script).map_err(|e| {
            format!(
                "cannot save the deployment script to {}: {e}",
                path.display()
            )
        })?;
        lines.push(words().field_with(DONE_SCRIPT, &[("path", &path.display().to_string())]));
        script_path = Some(path);
    }
    let done = |lines: &mut Vec<String>, issuer: &str| {
        lines.push(words().field_with(
            DONE_FEDERATION_METADATA,
            &[("url", &fed.metadata_url), ("issuer", issuer)],
        ));
        lines.join("; ")
    };
    if let Some(meta) = &fed.metadata {
        carried.federation_metadata = Some(meta.clone());
        return Ok(done(&mut lines, &meta.entity_id));
    }
    let started = std::time::Instant::now();
    loop {
        let found = read_metadata(
            &fed.metadata_url,
            fed.ca_file.as_deref(),
            fed.provider.host(),
        )
        .await;
        let row = metadata_row(&fed.metadata_url, &found);
        if let Ok(found) = found
            && row.outcome != Outcome::Fail
        {
            let line = done(&mut lines, &found.metadata.entity_id);
            carried.federation_metadata = Some(found.metadata);
            carried.metadata_check = Some(row);
            return Ok(line);
        }
        if started.elapsed() >= fed.wait {
            return Err(StepError::from(format!(
                "the farm's metadata at {} could not be used within {} s ({}). Run the deployment script{} on the servers as it says, then press Retry.",
                fed.metadata_url,
                fed.wait.as_secs(),
                row.detail,
                script_path
                    .map(|p| format!(" saved at {}", p.display()))
                    .unwrap_or_default()
            )));
        }
        tokio::time::sleep(std::time::Duration::from_secs(5).min(fed.wait)).await;
    }
}

/// Federates the tenant domain with the metadata (again on a retry: a domain federated with
/// the same issuer already is left as it is), then checks the name and metadata for the
/// Complete page (the metadata is read again only when the step before did not read it).
pub(super) async fn federate_domain(
    plan: &InstallPlan,
    carried: &mut Carried,
) -> Result<String, StepError> {
    use crate::federation::verify::{metadata_row, name_rows, read_metadata};
    use crate::federation::{domain, metadata};
    let Some(fed) = &plan.federation else {
        return Err("the plan federates no domain".into());
    };
    let Some(meta) = carried.federation_metadata.clone() else {
        return Err("the identity provider's metadata was not read".into());
    };
    let admin = super::tenant::admin_session(plan)?;
    let config = metadata::tenant_configuration(&meta, &fed.display_name, &fed.provider);
    let existing = domain::configuration(admin, &fed.domain)
        .await
        .map_err(|e| format!("cannot read {}'s federation: {e}", fed.domain))?;
    match existing {
        Some(found) if found["issuerUri"].as_str() == Some(meta.entity_id.as_str()) => {}
        _ => {
            domain::federate(admin, &fed.domain, &config)
                .await
                .map_err(|e| format!("cannot federate {}: {e}", fed.domain))?;
        }
    }
    let mut rows = Vec::new();
    if let Some(name) = fed.provider.host() {
        rows.extend(name_rows(name, fed.internal_dns, fed.external_dns).await);
    }
    rows.push(match carried.metadata_check.clone() {
        Some(row) => row,
        None => {
            let found = read_metadata(
                &fed.metadata_url,
                fed.ca_file.as_deref(),
                fed.provider.host(),
            )
            .await;
            metadata_row(&fed.metadata_url, &found)
        }
    });
    carried.federation_checks = rows;
    Ok(words().field_with(
        DONE_FEDERATED,
        &[("domain", &fed.domain), ("issuer", &meta.entity_id)],
    ))
}
