//! A small deterministic pseudo-random generator for tests (SplitMix64): the same seed
//! gives the same sequence on every machine and build, so a failing case reproduces from
//! its seed. Not for secrets.
//!
//! Use it from a test crate with `#[path = "support/rng.rs"] mod rng;`.

#![allow(dead_code)]

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): one 64-bit word of state, every seed (zero included) is a good one.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`, uniformly (Lemire's multiply-and-reject). Panics if `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0): an empty range");
        let n = n as u64;
        // Reject the few low products that would make some results more likely.
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            if (product as u64) >= threshold {
                return (product >> 64) as usize;
            }
        }
    }

    /// A number in `low..=high`. Panics if `low > high`.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high, "Rng::range({low}, {high}): an empty range");
        match (high - low).checked_add(1) {
            Some(span) => low + self.below(span),
            // The whole of usize: every word is a result.
            None => self.next_u64() as usize,
        }
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }

    /// One element of `items`, uniformly. Panics if `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `p_num / p_den`. Panics if `p_den` is 0.
    pub fn chance(&mut self, p_num: u64, p_den: u64) -> bool {
        assert!(p_den > 0, "Rng::chance with a zero denominator");
        p_num > 0 && (self.next_u64() % p_den) < p_num
    }

    /// A generator for item `index` of a run seeded with `seed`: each item gets its own
    /// stream, so item 1,234 of a run is reproduced without replaying items 0 to 1,233.
    pub fn for_item(seed: u64, index: u64) -> Self {
        let mut mixer = Rng::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng::new(mixer.next_u64())
    }
}

#[cfg(test)]
mod rng_tests {
    use super::Rng;

    #[test]
    fn the_sequence_is_splitmix64() {
        // Reference values of SplitMix64 seeded with 1234567 (from the authors' C code).
        let mut rng = Rng::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn below_stays_in_range_and_reaches_every_value() {
        let mut rng = Rng::new(7);
        let mut seen = [0usize; 7];
        for _ in 0..7_000 {
            seen[rng.below(7)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
        assert_eq!(rng.below(1), 0);
        assert!((0..1000).all(|_| rng.range(3, 5) >= 3));
        let _ = rng.range(0, usize::MAX);
    }

    #[test]
    fn bytes_pick_and_chance() {
        let mut rng = Rng::new(42);
        assert_eq!(rng.bytes(0).len(), 0);
        assert_eq!(rng.bytes(13).len(), 13);
        assert_eq!(Rng::new(5).bytes(16), Rng::new(5).bytes(16));
        assert!((0..100).all(|_| *rng.pick(&[1, 2, 3]) <= 3));
        assert!((0..100).all(|_| !rng.chance(0, 3)));
        assert!((0..100).all(|_| rng.chance(3, 3)));
        let hits = (0..10_000).filter(|_| rng.chance(1, 4)).count();
        assert!((2_000..3_000).contains(&hits), "{hits}");
    }

    #[test]
    fn items_of_a_run_are_reproducible_and_distinct() {
        assert_eq!(
            Rng::for_item(9, 100).next_u64(),
            Rng::for_item(9, 100).next_u64()
        );
        assert_ne!(
            Rng::for_item(9, 100).next_u64(),
            Rng::for_item(9, 101).next_u64()
        );
    }
}
