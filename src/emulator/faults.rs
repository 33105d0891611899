//! Fault injection: with a configured probability a Graph request fails with 503, 504 or a
//! dropped connection instead of running. A seed makes the sequence reproducible.

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Serve it.
    None,
    /// 503 Service Unavailable with `Retry-After`.
    Unavailable,
    /// 504 Gateway Timeout.
    GatewayTimeout,
    /// Close the connection without a complete answer.
    Drop,
}

/// The seeded random source of faults (splitmix64).
#[derive(Debug)]
pub struct Faults {
    rate: f64,
    state: u64,
}

impl Faults {
    /// Faults at `rate` (0.0 to 1.0) from `seed`.
    pub fn new(rate: f64, seed: u64) -> Self {
        Faults {
            rate: rate.clamp(0.0, 1.0),
            state: seed,
        }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Draws the fate of the next request.
    pub fn draw(&mut self) -> Fault {
        if self.rate <= 0.0 {
            return Fault::None;
        }
        // 53 random bits as a fraction in [0, 1).
        let roll = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        if roll >= self.rate {
            return Fault::None;
        }
        match self.next() % 3 {
            0 => Fault::Unavailable,
            1 => Fault::GatewayTimeout,
            _ => Fault::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_roughly_honoured_and_the_seed_repeats() {
        let mut a = Faults::new(0.2, 7);
        let draws: Vec<Fault> = (0..5000).map(|_| a.draw()).collect();
        let faults = draws.iter().filter(|f| **f != Fault::None).count();
        assert!((800..1200).contains(&faults), "{faults}");
        let mut b = Faults::new(0.2, 7);
        assert!(draws.iter().all(|f| *f == b.draw()));
        assert_eq!(Faults::new(0.0, 1).draw(), Fault::None);
    }
}
