//! The deployment script for a new AD FS farm: the PowerShell an administrator reviews and runs
//! on the Windows servers (Skybridge never signs in to them). One section for the first
//! federation server (the farm, then the tenant's relying-party trust with issuance rules that
//! follow the install's choices: the sourceAnchor as ImmutableID, the sign-in attribute as
//! UPN), one for each further server, one for each Web Application Proxy.
//!
//! No secret is ever written into it: the certificate file's password and the accounts'
//! passwords are asked for when it runs. Every value from the wizard is quoted as a
//! PowerShell literal string.

use crate::engine::rules::AnchorMode;
use crate::template::fill;

/// What the script sets up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarmPlan {
    /// The federation service name (`fs.contoso.com`).
    pub name: String,
    /// The name people see on the sign-in page.
    pub display_name: String,
    /// The certificate's SHA-1 thumbprint.
    pub thumbprint: String,
    /// The certificate file's name, as copied next to the script.
    pub certificate_file: String,
    /// Federation servers; the first creates the farm.
    pub servers: Vec<String>,
    /// Web Application Proxy servers.
    pub proxies: Vec<String>,
    /// The service account.
    pub account: PlannedAccount,
    /// Where the ImmutableID claim comes from (the install's sourceAnchor).
    pub anchor: AnchorMode,
    /// The attribute whose value is the UPN claim (userPrincipalName, or the alternate ID).
    pub sign_in_attribute: String,
}
/// The relying-party trust's name in AD FS (the one Microsoft's tenant documents).
pub const TRUST_NAME: &str = "Microsoft Office 365 Identity Platform";
/// Where the tenant publishes its federation metadata for AD FS.
pub const TENANT_METADATA: &str =
    "https://nexus.microsoftonline-p.com/federationmetadata/2007-06/federationmetadata.xml";

const WINDOWS_ACCOUNT: &str =
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname";
const UPN_CLAIM: &str = "http://schemas.xmlsoap.org/claims/UPN";
const IMMUTABLE_ID_CLAIM: &str =
    "http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID";
const STAGED_CLAIM: &str = "http://skybridge/claims/anchor";
/// The signed-in account's sAMAccountName, out of `DOMAIN\user`.
const USER_OF: &str = r#"regexreplace(c.Value, "(?<domain>[^\\]+)\\(?<user>.+)", "${user}")"#;

/// A rule that issues (or, staged, adds) claim `claim` from the AD attribute(s) `attributes`.
fn query_rule(name: &str, verb: &str, claims: &str, attributes: &str) -> String {
    format!(
        "@RuleName = \"{name}\"\nc:[Type == \"{WINDOWS_ACCOUNT}\"] => {verb}(store = \"Active Directory\", types = ({claims}), query = \"samAccountName={{0}};{attributes};{{1}}\", param = {USER_OF}, param = c.Value);"
    )
}

/// The issuance rules (AD FS claim rule language) for the tenant's trust: the UPN claim from
/// the sign-in attribute, the ImmutableID claim from the anchor — `ms-DS-ConsistencyGuid` when
/// set, else `objectGUID` (managed), or the chosen attribute — as the engine exports them.
pub fn issuance_rules(plan: &FarmPlan) -> String {
    // Attribute names in rules are plain LDAP names; anything else is left out.
    let safe = |a: &str| -> String {
        a.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect()
    };
    let sign_in = safe(&plan.sign_in_attribute);
    let mut rules = vec![query_rule(
        &format!("UPN from {sign_in}"),
        "issue",
        &format!("\"{UPN_CLAIM}\""),
        &sign_in,
    )];
    match &plan.anchor {
        AnchorMode::Managed => {
            rules.push(query_rule(
                "Anchor: ms-DS-ConsistencyGuid and objectGUID",
                "add",
                &format!("\"{STAGED_CLAIM}/consistencyguid\", \"{STAGED_CLAIM}/objectguid\""),
                "mS-DS-ConsistencyGuid,objectGUID",
            ));
            rules.push(format!(
                "@RuleName = \"ImmutableID from ms-DS-ConsistencyGuid\"\nc:[Type == \"{STAGED_CLAIM}/consistencyguid\"] => issue(Type = \"{IMMUTABLE_ID_CLAIM}\", Value = c.Value);"
            ));
            rules.push(format!(
                "@RuleName = \"ImmutableID from objectGUID when ms-DS-ConsistencyGuid is not set\"\nNOT EXISTS([Type == \"{STAGED_CLAIM}/consistencyguid\"])\n && c:[Type == \"{STAGED_CLAIM}/objectguid\"] => issue(Type = \"{IMMUTABLE_ID_CLAIM}\", Value = c.Value);"
            ));
        }
        AnchorMode::Attribute(attribute) => {
            let attribute = safe(attribute);
            rules.push(query_rule(
                &format!("ImmutableID from {attribute}"),
                "issue",
                &format!("\"{IMMUTABLE_ID_CLAIM}\""),
                &attribute,
            ));
        }
    }
    rules.join("\n")
}

/// The anchor in words, for the script's comment and the Complete page.
pub fn anchor_words(anchor: &AnchorMode) -> String {
    match anchor {
        AnchorMode::Managed => "ms-DS-ConsistencyGuid, else objectGUID".to_string(),
        AnchorMode::Attribute(a) => a.clone(),
    }
}

/// The farm's service account, without any password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedAccount {
    /// A group managed service account (`CONTOSO\adfs-gmsa$`).
    Gmsa(String),
    /// A domain user (`CONTOSO\svc-adfs`); its password is asked for when the script runs.
    User(String),
}

/// A PowerShell literal string: single quotes, with quotes inside doubled.
pub fn quote(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        // PowerShell takes the typographic single quotes as quotes too.
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The script, with `{name}` placeholders that [`script`] fills (one pass, [`fill`]).
const TEMPLATE: &str = r#"# AD FS farm {title} — prepared by Skybridge on {generated}.
# Review it before running it. Skybridge does not sign in to Windows servers:
# run each section in an elevated PowerShell on the server it names, in order,
# with the certificate file copied next to this script. No password is written here;
# each is asked for when the script runs.
#Requires -RunAsAdministrator
param([Parameter(Mandatory)][ValidateSet('FirstServer','AddServer','Proxy')][string]$Role)
$ErrorActionPreference = 'Stop'
$FederationServiceName = {name}
$DisplayName = {display_name}
$Thumbprint = {thumbprint}
$CertificateFile = Join-Path $PSScriptRoot {certificate_file}
$FederationServers = @({servers})
$ProxyServers = @({proxies})

function Import-FarmCertificate {
    $password = Read-Host -AsSecureString -Prompt "Password of $CertificateFile"
    $imported = Import-PfxCertificate -FilePath $CertificateFile -CertStoreLocation Cert:\LocalMachine\My -Password $password
    if ($imported.Thumbprint -ne $Thumbprint) {
        throw "$CertificateFile holds certificate $($imported.Thumbprint), not the farm's $Thumbprint"
    }
}

function Test-ThisServer([string[]]$Expected) {
    $me = [System.Net.Dns]::GetHostEntry('').HostName
    if ($Expected -notcontains $me -and $Expected -notcontains $env:COMPUTERNAME) {
        throw "This is $me; run this section on one of: $($Expected -join ', ')"
    }
}

switch ($Role) {
    'FirstServer' {
        # On the first federation server only: creates the farm.
        Test-ThisServer @($FederationServers[0])
        Import-FarmCertificate
        Install-WindowsFeature ADFS-Federation -IncludeManagementTools | Out-Null
        Install-AdfsFarm -CertificateThumbprint $Thumbprint -FederationServiceName $FederationServiceName -FederationServiceDisplayName $DisplayName {account} -OverwriteConfiguration:$false
        # The tenant's relying-party trust: its claims follow the choices made in Skybridge
        # (ImmutableID from {anchor_words}; UPN from {sign_in_words}).
        $IssuanceRules = @'
{rules}
'@
        $Permit = '@RuleTemplate = "AllowAllAuthzRule" => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");'
        if (-not (Get-AdfsRelyingPartyTrust -Name {trust_name})) {
            Add-AdfsRelyingPartyTrust -Name {trust_name} -MetadataUrl {tenant_metadata} -IssuanceTransformRules $IssuanceRules -IssuanceAuthorizationRules $Permit
        } else {
            Set-AdfsRelyingPartyTrust -TargetName {trust_name} -IssuanceTransformRules $IssuanceRules -IssuanceAuthorizationRules $Permit
        }
    }
    'AddServer' {
        # On each further federation server: joins the farm.
        Test-ThisServer ($FederationServers | Select-Object -Skip 1)
        Import-FarmCertificate
        Install-WindowsFeature ADFS-Federation -IncludeManagementTools | Out-Null
        Add-AdfsFarmNode -CertificateThumbprint $Thumbprint -PrimaryComputerName $FederationServers[0] {account}
    }
    'Proxy' {
        # On each Web Application Proxy: publishes the farm to the internet.
        Test-ThisServer $ProxyServers
        Import-FarmCertificate
        Install-WindowsFeature Web-Application-Proxy -IncludeManagementTools | Out-Null
        Install-WebApplicationProxy -CertificateThumbprint $Thumbprint -FederationServiceName $FederationServiceName -FederationServiceTrustCredential (Get-Credential -Message 'An administrator of the federation servers')
    }
}
Write-Host "Done. Skybridge checks the farm's metadata at https://$FederationServiceName/FederationMetadata/2007-06/FederationMetadata.xml"
"#;

/// The whole script. Values from the plan go in as PowerShell literals (the comment line gets
/// the name without control characters), in one pass, so a value that looks like a
/// placeholder stays as it is.
pub fn script(plan: &FarmPlan, generated: &str) -> String {
    let account = match &plan.account {
        PlannedAccount::Gmsa(name) => format!("-GroupServiceAccountIdentifier {}", quote(name)),
        PlannedAccount::User(name) => format!(
            "-ServiceAccountCredential (Get-Credential -UserName {} -Message 'The AD FS service account')",
            quote(name)
        ),
    };
    let plain = |text: &str| text.replace(char::is_control, " ");
    let values = [
        ("title", plain(&plan.name)),
        ("generated", plain(generated)),
        ("name", quote(&plan.name)),
        ("display_name", quote(&plan.display_name)),
        ("thumbprint", quote(&plan.thumbprint)),
        ("certificate_file", quote(&plan.certificate_file)),
        ("servers", list(&plan.servers)),
        ("proxies", list(&plan.proxies)),
        ("account", account),
        // Nothing in the rules can end the here-string they sit in.
        ("rules", issuance_rules(plan).replace("'@", "' @")),
        ("trust_name", quote(TRUST_NAME)),
        ("tenant_metadata", quote(TENANT_METADATA)),
        ("anchor_words", plain(&anchor_words(&plan.anchor))),
        ("sign_in_words", plain(&plan.sign_in_attribute)),
    ];
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fill(TEMPLATE, &values)
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| quote(i))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> FarmPlan {
        FarmPlan {
            name: "fs.contoso.com".into(),
            display_name: "Contoso's sign-in".into(),
            thumbprint: "AB12".into(),
            certificate_file: "farm.pfx".into(),
            servers: vec!["adfs1.contoso.com".into(), "adfs2.contoso.com".into()],
            proxies: vec!["wap1.contoso.com".into()],
            account: PlannedAccount::Gmsa("CONTOSO\\adfs-gmsa$".into()),
            anchor: AnchorMode::Managed,
            sign_in_attribute: "userPrincipalName".into(),
        }
    }
    #[test]
    fn the_tenant_trust_issues_the_chosen_anchor_and_sign_in_attribute() {
        let text = script(&plan(), "2026-12-06");
        assert!(text.contains("Add-AdfsRelyingPartyTrust -Name 'Microsoft Office 365 Identity Platform' -MetadataUrl 'https://nexus.microsoftonline-p.com/federationmetadata/2007-06/federationmetadata.xml'"));
        assert!(text.contains(r#"query = "samAccountName={0};userPrincipalName;{1}""#));
        assert!(text.contains("http://schemas.xmlsoap.org/claims/UPN"));
        assert!(text.contains("mS-DS-ConsistencyGuid,objectGUID"));
        assert!(
            text.contains(
                r#"NOT EXISTS([Type == "http://skybridge/claims/anchor/consistencyguid"])"#
            )
        );
        assert!(
            text.contains("http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID")
        );
        assert!(text.contains(
            "(ImmutableID from ms-DS-ConsistencyGuid, else objectGUID; UPN from userPrincipalName)"
        ));
        let mut chosen = plan();
        chosen.anchor = AnchorMode::Attribute("employeeID".into());
        chosen.sign_in_attribute = "mail".into();
        let text = script(&chosen, "2026-12-06");
        assert!(text.contains(r#"query = "samAccountName={0};mail;{1}""#));
        assert!(text.contains(r#"query = "samAccountName={0};employeeID;{1}""#));
        assert!(!text.contains("ConsistencyGuid"));
        assert!(text.contains("(ImmutableID from employeeID; UPN from mail)"));
        // An attribute name cannot break out of the rule or the here-string.
        let mut odd = plan();
        odd.sign_in_attribute = "mail\";x'@".into();
        let text = script(&odd, "today");
        assert!(text.contains("samAccountName={0};mailx;{1}"));
    }

    #[test]
    fn the_script_names_every_server_and_the_thumbprint_and_quotes_what_it_was_given() {
        let text = script(&plan(), "2026-11-24");
        assert!(text.contains("$Thumbprint = 'AB12'"));
        assert!(text.contains("$FederationServers = @('adfs1.contoso.com', 'adfs2.contoso.com')"));
        assert!(text.contains("$ProxyServers = @('wap1.contoso.com')"));
        // The apostrophe is doubled, so the name stays one string.
        assert!(text.contains("$DisplayName = 'Contoso''s sign-in'"));
        assert!(text.contains("-GroupServiceAccountIdentifier 'CONTOSO\\adfs-gmsa$'"));
        assert!(text.contains("Install-AdfsFarm"));
        assert!(text.contains("Add-AdfsFarmNode"));
        assert!(text.contains("Install-WebApplicationProxy"));
        let mut user = plan();
        user.account = PlannedAccount::User("CONTOSO\\svc-adfs".into());
        let text = script(&user, "2026-11-24");
        assert!(
            text.contains(
                "-ServiceAccountCredential (Get-Credential -UserName 'CONTOSO\\svc-adfs'"
            )
        );
        assert_eq!(quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        // A value that looks like a placeholder is taken as it is.
        let mut odd = plan();
        odd.display_name = "{account}".into();
        assert!(script(&odd, "today").contains("$DisplayName = '{account}'"));
    }
}
