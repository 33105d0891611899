//! What the benchmarks share: scratch folders removed at the end, an emulated tenant, and the
//! process's peak memory.

#![allow(dead_code)] // Each benchmark uses a different part.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use skybridge::emulator::RunningEmulator;

// How the tests start an emulator: the benchmarks' tenants are configured the same way.
#[path = "../../tests/common/emulator.rs"]
mod shared_emulator;

use shared_emulator::{contoso, start_emulator};

/// The emulated tenant's application secret in every benchmark.
pub const SECRET: &str = "bench-client-secret";

static SCRATCH: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A new scratch folder, removed by [`remove_scratch`].
pub fn scratch(label: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("skybridge-bench-{label}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    SCRATCH.lock().expect("scratch list").push(dir.clone());
    dir
}

/// Removes every scratch folder made so far.
pub fn remove_scratch() {
    for dir in SCRATCH.lock().expect("scratch list").drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A fresh emulated tenant (contoso.com verified) allowing `budget` writes per `window`.
pub async fn emulator(budget: u32, window: Duration) -> RunningEmulator {
    start_emulator(&scratch("tenant"), |config| {
        contoso(config, "Bench-Admin-Pw-1", Some(SECRET));
        config.write_budget = budget;
        config.budget_window = window;
    })
    .await
}

/// The process's peak resident memory (VmHWM) in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}
