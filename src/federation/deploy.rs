//! The deployment script for a new AD FS farm: the PowerShell an administrator reviews and runs
//! on the Windows servers (Skybridge never signs in to them). One section for the first
//! federation server, one for each further server, one for each Web Application Proxy.
//!
//! No secret is ever written into it: the certificate file's password and the accounts'
//! passwords are asked for when it runs. Every value from the wizard is quoted as a
//! PowerShell literal string.

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
        }
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
