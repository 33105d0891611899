//! Time, injected: code that waits or schedules asks a [`Clock`], so tests can run hours of
//! schedule in microseconds and never sleep.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Wall-clock time as whole seconds since the Unix epoch, as records keep it (0 before 1970).
pub fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// [`unix_seconds`] of now.
pub fn unix_now() -> u64 {
    unix_seconds(SystemTime::now())
}

/// A boxed future, as trait methods return them.
pub type Wait<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A source of time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time since an arbitrary fixed start (monotonic).
    fn now(&self) -> Duration;
    /// Wall-clock time.
    fn wall(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Wait<'_>;
}

/// The real clock.
#[derive(Debug)]
pub struct SystemClock {
    start: std::time::Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: std::time::Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Wait<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that only moves when told to (or when someone sleeps on it): for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Duration>,
    wall_start: SystemTime,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock {
            now: Mutex::new(Duration::ZERO),
            wall_start: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        }
    }
}

impl ManualClock {
    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.now.lock().map(|n| *n).unwrap_or_default()
    }

    fn wall(&self) -> SystemTime {
        self.wall_start + self.now()
    }

    /// Sleeping advances the clock at once: the waiter sees the time it waited for.
    fn sleep(&self, duration: Duration) -> Wait<'_> {
        self.advance(duration);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_moves_when_slept_on() {
        let clock = ManualClock::default();
        assert_eq!(clock.now(), Duration::ZERO);
        clock.sleep(Duration::from_secs(30)).await;
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), Duration::from_secs(35));
        assert!(clock.wall() > SystemTime::UNIX_EPOCH);
    }
}
