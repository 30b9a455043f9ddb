//! The 4-digit login passcode: the entry buffer and the stored salted hash.
//!
//! The passcode itself is never stored: only a PBKDF2-HMAC-SHA256 hash with a random salt.
//! The entry buffer is fixed-capacity (no reallocation can leave copies) and wiped on drop.

use core::fmt;
use core::num::NonZeroU32;

use ring::pbkdf2;

use crate::sensitive::wipe;

/// Number of digits in the login passcode and in the card PIN.
pub const DIGITS: usize = 4;

/// PBKDF2 iterations. A 4-digit secret cannot be made strong by hashing; the cost only slows
/// an offline guesser, so it is kept low enough for an instant unlock on a tablet.
const ITERATIONS: u32 = 60_000;
/// Length of the random salt.
pub const SALT_LEN: usize = 16;
/// Length of the stored hash.
pub const HASH_LEN: usize = 32;

/// Digits typed so far on a 4-digit pad. Debug shows only how many digits there are.
#[derive(Default)]
pub struct DigitEntry {
    digits: heapless::Vec<u8, DIGITS>,
}

impl DigitEntry {
    /// Adds one digit (0–9); ignored when the entry is full or `digit` is not a digit.
    pub fn push(&mut self, digit: u8) {
        if digit <= 9 {
            // A full buffer refuses the digit, which is the behaviour we want.
            let _ = self.digits.push(b'0' + digit);
        }
    }

    /// Removes the last digit (訂正).
    pub fn pop(&mut self) {
        if let Some(mut last) = self.digits.pop() {
            wipe(core::slice::from_mut(&mut last));
        }
    }

    /// How many digits have been typed.
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    /// Whether nothing has been typed.
    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether all four digits have been typed.
    pub fn is_complete(&self) -> bool {
        self.digits.len() == DIGITS
    }

    /// The typed digits as ASCII, for hashing or sending to the card only.
    pub fn expose(&self) -> &[u8] {
        &self.digits
    }

    /// Wipes and empties the entry.
    pub fn clear(&mut self) {
        wipe(&mut self.digits);
        self.digits.clear();
    }
}

impl Drop for DigitEntry {
    fn drop(&mut self) {
        self.clear();
    }
}

impl fmt::Debug for DigitEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DigitEntry(<{} digits>)", self.digits.len())
    }
}

/// The stored form of the passcode: salt and PBKDF2 hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PasscodeHash {
    salt: [u8; SALT_LEN],
    hash: [u8; HASH_LEN],
}

impl PasscodeHash {
    /// Hashes `passcode` (ASCII digits) with `salt`, which the caller draws from the OS RNG.
    pub fn derive(passcode: &[u8], salt: [u8; SALT_LEN]) -> Self {
        let mut hash = [0; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(),
            &salt,
            passcode,
            &mut hash,
        );
        Self { salt, hash }
    }

    /// Rebuilds a stored hash from its parts (as the settings store keeps them).
    pub fn from_parts(salt: [u8; SALT_LEN], hash: [u8; HASH_LEN]) -> Self {
        Self { salt, hash }
    }

    /// The salt and hash, for the settings store.
    pub fn parts(&self) -> (&[u8; SALT_LEN], &[u8; HASH_LEN]) {
        (&self.salt, &self.hash)
    }

    /// Whether `passcode` is the one this hash was made from (constant-time compare).
    pub fn verify(&self, passcode: &[u8]) -> bool {
        pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(),
            &self.salt,
            passcode,
            &self.hash,
        )
        .is_ok()
    }
}

impl fmt::Debug for PasscodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasscodeHash(<redacted>)")
    }
}

fn iterations() -> NonZeroU32 {
    NonZeroU32::new(ITERATIONS).unwrap_or(NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_takes_four_digits_and_no_more() {
        let mut e = DigitEntry::default();
        for d in [1, 2, 3, 4, 5] {
            e.push(d);
        }
        assert_eq!(e.expose(), b"1234");
        assert!(e.is_complete());
        e.push(10);
        assert_eq!(e.len(), 4);
    }

    #[test]
    fn entry_pop_and_clear() {
        let mut e = DigitEntry::default();
        e.push(7);
        e.push(8);
        e.pop();
        assert_eq!(e.expose(), b"7");
        e.clear();
        assert!(e.is_empty());
    }

    #[test]
    fn entry_debug_hides_digits() {
        let mut e = DigitEntry::default();
        e.push(9);
        e.push(8);
        let shown = format!("{e:?}");
        assert_eq!(shown, "DigitEntry(<2 digits>)");
    }

    #[test]
    fn hash_verifies_only_the_same_passcode() {
        let h = PasscodeHash::derive(b"1234", [7; SALT_LEN]);
        assert!(h.verify(b"1234"));
        assert!(!h.verify(b"1235"));
        assert!(!h.verify(b""));
    }

    #[test]
    fn salt_changes_the_hash() {
        let a = PasscodeHash::derive(b"1234", [1; SALT_LEN]);
        let b = PasscodeHash::derive(b"1234", [2; SALT_LEN]);
        assert_ne!(a.hash, b.hash);
        assert_eq!(format!("{a:?}"), "PasscodeHash(<redacted>)");
    }
}
