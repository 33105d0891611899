//! The write budget: at most N Graph writes per window, then 429 with `Retry-After`.
//!
//! A write is any POST, PATCH, PUT or DELETE on a Graph resource, counted one by one inside a
//! `$batch`. The window is fixed: it opens with the first write and the count starts again when
//! it has passed. Time comes from the injected [`Clock`](crate::clock::Clock).

use std::time::{Duration, SystemTime};

/// The counter of writes in the current window.
#[derive(Debug)]
pub struct WriteBudget {
    limit: u32,
    window: Duration,
    opened: Option<SystemTime>,
    used: u32,
}

impl WriteBudget {
    /// A budget of `limit` writes per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        WriteBudget {
            limit,
            window,
            opened: None,
            used: 0,
        }
    }

    /// Takes one write from the budget at `now`, or says how long to wait.
    pub fn take(&mut self, now: SystemTime) -> Result<(), Duration> {
        let window_over = match self.opened {
            None => true,
            Some(opened) => now
                .duration_since(opened)
                .map(|d| d >= self.window)
                .unwrap_or(false),
        };
        if window_over {
            self.opened = Some(now);
            self.used = 0;
        }
        if self.used < self.limit {
            self.used += 1;
            return Ok(());
        }
        let opened = self.opened.unwrap_or(now);
        let elapsed = now.duration_since(opened).unwrap_or_default();
        Err(self
            .window
            .saturating_sub(elapsed)
            .max(Duration::from_millis(1)))
    }
}

/// `Retry-After` in seconds, fractional as in the documented sample (`2.128`).
pub fn retry_after_value(wait: Duration) -> String {
    format!("{:.3}", wait.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_then_refuses_then_refills_when_the_window_passes() {
        let start = SystemTime::now();
        let mut budget = WriteBudget::new(2, Duration::from_secs(10));
        assert!(budget.take(start).is_ok());
        assert!(budget.take(start + Duration::from_secs(1)).is_ok());
        let wait = budget.take(start + Duration::from_secs(4)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        assert_eq!(retry_after_value(wait), "6.000");
        assert!(budget.take(start + Duration::from_secs(10)).is_ok());
    }
}
