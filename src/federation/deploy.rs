//! The deployment script for a new AD FS farm: the PowerShell an administrator reviews and runs
//! on the Windows servers (Skybridge never signs in to them). One section for the first
//! federation server, one for each further server, one for each Web Application Proxy.
//!
//! No secret is ever written into it: the certificate file's password and the accounts'
//! passwords are asked for when it runs. Every value from the wizard is quoted as a
//! PowerShell literal string.

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

/// The whole script.
pub fn script(plan: &FarmPlan, generated: &str) -> String {
    let mut s = String::new();
    let line = |s: &mut String, text: &str| {
        s.push_str(text);
        s.push('\n');
    };
    line(
        &mut s,
        &format!(
            "# AD FS farm {} — prepared by Skybridge on {generated}.",
            plan.name
        ),
    );
    line(
        &mut s,
        "# Review it before running it. Skybridge does not sign in to Windows servers:",
    );
    line(
        &mut s,
        "# run each section in an elevated PowerShell on the server it names, in order,",
    );
    line(
        &mut s,
        "# with the certificate file copied next to this script. No password is written here;",
    );
    line(&mut s, "# each is asked for when the script runs.");
    line(&mut s, "#Requires -RunAsAdministrator");
    line(
        &mut s,
        "param([Parameter(Mandatory)][ValidateSet('FirstServer','AddServer','Proxy')][string]$Role)",
    );
    line(&mut s, "$ErrorActionPreference = 'Stop'");
    line(
        &mut s,
        &format!("$FederationServiceName = {}", quote(&plan.name)),
    );
    line(
        &mut s,
        &format!("$DisplayName = {}", quote(&plan.display_name)),
    );
    line(
        &mut s,
        &format!("$Thumbprint = {}", quote(&plan.thumbprint)),
    );
    line(
        &mut s,
        &format!(
            "$CertificateFile = Join-Path $PSScriptRoot {}",
            quote(&plan.certificate_file)
        ),
    );
    line(
        &mut s,
        &format!("$FederationServers = @({})", list(&plan.servers)),
    );
    line(
        &mut s,
        &format!("$ProxyServers = @({})", list(&plan.proxies)),
    );
    line(&mut s, "");
    line(&mut s, "function Import-FarmCertificate {");
    line(
        &mut s,
        "    $password = Read-Host -AsSecureString -Prompt \"Password of $CertificateFile\"",
    );
    line(
        &mut s,
        "    $imported = Import-PfxCertificate -FilePath $CertificateFile -CertStoreLocation Cert:\\LocalMachine\\My -Password $password",
    );
    line(&mut s, "    if ($imported.Thumbprint -ne $Thumbprint) {");
    line(
        &mut s,
        "        throw \"$CertificateFile holds certificate $($imported.Thumbprint), not the farm's $Thumbprint\"",
    );
    line(&mut s, "    }");
    line(&mut s, "}");
    line(&mut s, "");
    line(&mut s, "function Test-ThisServer([string[]]$Expected) {");
    line(
        &mut s,
        "    $me = [System.Net.Dns]::GetHostEntry('').HostName",
    );
    line(
        &mut s,
        "    if ($Expected -notcontains $me -and $Expected -notcontains $env:COMPUTERNAME) {",
    );
    line(
        &mut s,
        "        throw \"This is $me; run this section on one of: $($Expected -join ', ')\"",
    );
    line(&mut s, "    }");
    line(&mut s, "}");
    line(&mut s, "");
    let account_args = match &plan.account {
        PlannedAccount::Gmsa(name) => format!("-GroupServiceAccountIdentifier {}", quote(name)),
        PlannedAccount::User(name) => format!(
            "-ServiceAccountCredential (Get-Credential -UserName {} -Message 'The AD FS service account')",
            quote(name)
        ),
    };
    line(&mut s, "switch ($Role) {");
    line(&mut s, "    'FirstServer' {");
    line(
        &mut s,
        &format!(
            "        # On {} only: creates the farm.",
            plan.servers
                .first()
                .map_or("the first federation server", String::as_str)
        ),
    );
    line(&mut s, "        Test-ThisServer @($FederationServers[0])");
    line(&mut s, "        Import-FarmCertificate");
    line(
        &mut s,
        "        Install-WindowsFeature ADFS-Federation -IncludeManagementTools | Out-Null",
    );
    line(
        &mut s,
        &format!(
            "        Install-AdfsFarm -CertificateThumbprint $Thumbprint -FederationServiceName $FederationServiceName -FederationServiceDisplayName $DisplayName {account_args} -OverwriteConfiguration:$false"
        ),
    );
    line(&mut s, "    }");
    line(&mut s, "    'AddServer' {");
    line(
        &mut s,
        "        # On each further federation server: joins the farm.",
    );
    line(
        &mut s,
        "        Test-ThisServer ($FederationServers | Select-Object -Skip 1)",
    );
    line(&mut s, "        Import-FarmCertificate");
    line(
        &mut s,
        "        Install-WindowsFeature ADFS-Federation -IncludeManagementTools | Out-Null",
    );
    line(
        &mut s,
        &format!(
            "        Add-AdfsFarmNode -CertificateThumbprint $Thumbprint -PrimaryComputerName $FederationServers[0] {account_args}"
        ),
    );
    line(&mut s, "    }");
    line(&mut s, "    'Proxy' {");
    line(
        &mut s,
        "        # On each Web Application Proxy: publishes the farm to the internet.",
    );
    line(&mut s, "        Test-ThisServer $ProxyServers");
    line(&mut s, "        Import-FarmCertificate");
    line(
        &mut s,
        "        Install-WindowsFeature Web-Application-Proxy -IncludeManagementTools | Out-Null",
    );
    line(
        &mut s,
        "        Install-WebApplicationProxy -CertificateThumbprint $Thumbprint -FederationServiceName $FederationServiceName -FederationServiceTrustCredential (Get-Credential -Message 'An administrator of the federation servers')",
    );
    line(&mut s, "    }");
    line(&mut s, "}");
    line(
        &mut s,
        "Write-Host \"Done. Skybridge checks the farm's metadata at https://$FederationServiceName/FederationMetadata/2007-06/FederationMetadata.xml\"",
    );
    s
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
    }
}
