//! The import benchmark (`scripts/bench-import` runs it against the `contosobig` forest):
//! (a) `ldapsearch` paged read of OU=Bench as the baseline, (b) Skybridge's full import of the
//! same objects and attributes, (c) a DirSync-based full read, (d) a delta import after 100
//! modifications, and the peak memory of the process after the full import.
//!
//! Prints each figure and the ratio (b)/(a). Needs the FOREST_* variables of
//! `scripts/test-forest env contosobig`.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use skybridge::directory::delta;
use skybridge::directory::import::{self, DEFAULT_ATTRIBUTES, ImportScope, ObjectClass};
use skybridge::directory::{AccountName, DirectoryError, Entry, ServerSpec, Session};
use skybridge::secret::Secret;

mod common;

// The allocator the skybridge binary uses (src/main.rs), so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 3;
const PAGE: u32 = 1000;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("bench-import: {name} is not set; run this through scripts/bench-import");
        std::process::exit(2)
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let url = env("FOREST_URL");
    let ca = env("FOREST_CA_FILE");
    let admin = env("FOREST_ADMIN");
    let password_file = env("FOREST_ADMIN_PASSWORD_FILE");
    let base = format!("OU=Bench,{}", env("FOREST_BASE_DN"));
    let nc = env("FOREST_BASE_DN");
    let password = Secret::new(std::fs::read_to_string(&password_file)?);
    let spec = ServerSpec::parse(&url, false, false)?
        .with_ca_file(Some(ca.clone().into()))
        .with_timeout(Duration::from_secs(120));
    let account = AccountName::parse(&admin)?;
    let mut session = Session::open(&spec, &account, &password)?;

    let mut scope = ImportScope::new(vec![base.clone()]);
    scope.classes = vec![ObjectClass::User];
    scope.page_size = PAGE;
    let attrs: Vec<&str> = DEFAULT_ATTRIBUTES.to_vec();
    let rss_before = common::peak_rss_mb();

    // (a) and (b), interleaved so both see the same server state; median of the rounds.
    let mut raw_times = Vec::new();
    let mut our_times = Vec::new();
    let mut count = 0u64;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let status = Command::new("ldapsearch")
            .args(["-LLL", "-x", "-H", &url, "-D", &admin, "-y", &password_file])
            .args(["-E", &format!("pr={PAGE}/noprompt"), "-b", &base])
            .arg(ObjectClass::User.filter())
            .args(&attrs)
            .env("LDAPTLS_CACERT", &ca)
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "ldapsearch failed: {status}");
        raw_times.push(started.elapsed());

        let started = Instant::now();
        count = 0;
        import::full_import(
            &mut session,
            &scope,
            |e: Entry| -> Result<(), DirectoryError> {
                count += u64::from(e.guid().is_some());
                Ok(())
            },
        )?;
        our_times.push(started.elapsed());
    }
    let rss_after = common::peak_rss_mb();
    let raw = median(raw_times);
    let ours = median(our_times);
    println!("objects read:                    {count}");
    println!(
        "(a) ldapsearch paged read:       {:.3} s",
        raw.as_secs_f64()
    );
    println!(
        "(b) skybridge full import:       {:.3} s",
        ours.as_secs_f64()
    );
    println!(
        "    ratio (b)/(a):               {:.2}   (target <= 1.25)",
        ours.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "    peak RSS:                    {:.1} MB (before the imports {:.1} MB; target <= 100 MB)",
        rss_after, rss_before
    );

    // (c) DirSync full read of the domain, scoped to OU=Bench.
    let started = Instant::now();
    let full = delta::dirsync(&mut session, &nc, &scope, &[], |_| {
        Ok::<(), DirectoryError>(())
    })?;
    println!(
        "(c) DirSync full read:           {:.3} s ({} objects)",
        started.elapsed().as_secs_f64(),
        full.changes
    );

    // (d) 100 modifications, then a delta import from the cookie of (c).
    let mut picked = Vec::new();
    session.search_paged(
        &base,
        ldap3::Scope::OneLevel,
        ObjectClass::User.filter(),
        &["cn"],
        PAGE,
        |e: Entry| -> Result<(), DirectoryError> {
            if picked.len() < 100 {
                picked.push(e.dn);
            }
            Ok(())
        },
    )?;
    let stamp = format!("{:?}", std::time::SystemTime::now());
    for dn in &picked {
        skybridge::directory::write::replace(
            &mut session,
            dn,
            vec![(
                "title".into(),
                vec![format!("Changed {stamp}").into_bytes()],
            )],
        )?;
    }
    let started = Instant::now();
    let mut changed = HashSet::new();
    let delta = delta::dirsync(&mut session, &nc, &scope, &full.cookie, |c| {
        changed.insert(c.guid);
        Ok::<(), DirectoryError>(())
    })?;
    let took = started.elapsed();
    println!(
        "(d) delta import after 100 changes: {:.3} s ({} objects changed; target <= 0.2 s)",
        took.as_secs_f64(),
        changed.len()
    );
    anyhow::ensure!(
        changed.len() == picked.len(),
        "the delta saw {} of {} changes",
        changed.len(),
        picked.len()
    );
    let _ = delta;
    session.close();
    Ok(())
}
