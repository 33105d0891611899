//! The scheduler: a delta cycle every 30 minutes by default, "run a cycle now" on request, and
//! never two cycles at once (a cycle asked for while one runs waits for it). Time comes from an
//! injected [`Clock`], so tests run days of schedule without sleeping.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Notify};

use crate::clock::Clock;

/// The default time between delta cycles.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30 * 60);
/// How long run history is kept by default.
pub const DEFAULT_HISTORY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Runs cycles on a schedule.
pub struct Scheduler {
    interval: Duration,
    clock: Arc<dyn Clock>,
    running: Mutex<()>,
    wake: Notify,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler running a cycle every `interval`.
    pub fn new(interval: Duration, clock: Arc<dyn Clock>) -> Scheduler {
        Scheduler {
            interval: interval.max(Duration::from_secs(1)),
            clock,
            running: Mutex::new(()),
            wake: Notify::new(),
        }
    }

    /// Runs one cycle now, after the one in progress (if any) has finished.
    pub async fn run_once<F, Fut, T>(&self, cycle: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let _turn = self.running.lock().await;
        cycle().await
    }

    /// Asks the schedule loop to run a cycle now instead of waiting for the interval.
    pub fn run_now(&self) {
        self.wake.notify_one();
    }

    /// Runs a cycle at once and then every interval (or earlier when [`Self::run_now`] is
    /// called), until `keep_going` says stop after a cycle. Returns the number of cycles run.
    pub async fn run<F, Fut>(&self, mut cycle: F, mut keep_going: impl FnMut(u64) -> bool) -> u64
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut cycles = 0;
        loop {
            self.run_once(&mut cycle).await;
            cycles += 1;
            if !keep_going(cycles) {
                return cycles;
            }
            tokio::select! {
                () = self.clock.sleep(self.interval) => {}
                () = self.wake.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn cycles_run_at_start_and_then_every_interval() {
        let clock = Arc::new(ManualClock::default());
        let scheduler = Scheduler::new(DEFAULT_INTERVAL, clock.clone());
        let times = std::sync::Mutex::new(Vec::new());
        let n = scheduler
            .run(
                || {
                    times.lock().unwrap().push(clock.now());
                    async {}
                },
                |done| done < 4,
            )
            .await;
        assert_eq!(n, 4);
        let minutes: Vec<u64> = times
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.as_secs() / 60)
            .collect();
        assert_eq!(minutes, [0, 30, 60, 90]);
    }

    #[tokio::test]
    async fn a_cycle_asked_for_while_one_runs_waits_for_it() {
        let clock = Arc::new(ManualClock::default());
        let scheduler = Arc::new(Scheduler::new(DEFAULT_INTERVAL, clock));
        let inside = Arc::new(AtomicU32::new(0));
        let most = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (s, inside, most) = (scheduler.clone(), inside.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                s.run_once(|| async {
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
                .await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "cycles never overlap");
    }
}
