//! Buffers for secrets and patient data: wiped on drop, never printed.
//!
//! Every PIN, passcode and patient field passes through these types, so "zeroed after use"
//! and "never in Debug output" hold by construction rather than by care at each call site.

use core::fmt;
use core::sync::atomic::{compiler_fence, Ordering};

/// Overwrites `bytes` with zeros in a way the optimiser keeps.
pub fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    // The fence and black_box stop the compiler from proving the stores dead and dropping them.
    compiler_fence(Ordering::SeqCst);
    core::hint::black_box(bytes);
}

/// Wipes a byte vector including its spare capacity, then empties it.
pub fn wipe_vec(bytes: &mut Vec<u8>) {
    let len = bytes.capacity();
    bytes.resize(len, 0);
    wipe(bytes);
    bytes.clear();
}

/// A string of patient data or a secret: wiped when dropped, redacted in Debug.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SensitiveText(String);

impl SensitiveText {
    /// Takes ownership of `text` without copying it.
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The text, for display on screen only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for SensitiveText {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl Drop for SensitiveText {
    fn drop(&mut self) {
        let mut bytes = core::mem::take(&mut self.0).into_bytes();
        wipe_vec(&mut bytes);
    }
}

impl fmt::Debug for SensitiveText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SensitiveText(<{} bytes redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_text() {
        let text = SensitiveText::from("資格 太郎");
        let shown = format!("{text:?}");
        assert!(!shown.contains("資格"), "{shown}");
        assert!(shown.contains("13 bytes"), "{shown}");
    }

    #[test]
    fn wipe_zeroes_every_byte() {
        let mut pin = *b"1234";
        wipe(&mut pin);
        assert_eq!(pin, [0; 4]);
    }

    #[test]
    fn wipe_vec_empties_and_keeps_the_allocation() {
        let mut v = Vec::with_capacity(16);
        v.extend_from_slice(b"1234");
        wipe_vec(&mut v);
        assert!(v.is_empty());
        assert!(
            v.capacity() >= 16,
            "no reallocation that would leave a copy behind"
        );
    }
}
