//! Text entry: fields with a caret and masking, and forms of fields. What the values must
//! look like is checked by the center's own types (`center::account`).
//!
//! Field contents are secrets or account data: they are wiped on drop and never printed.

use core::fmt;

use crate::sensitive::wipe;

/// How many characters any field can hold (the longest the manual allows is 20); each field
/// has its own limit at or below it.
pub const MAX_LEN: usize = 32;

/// One text field: characters, a caret, and whether it is masked.
#[derive(Default)]
pub struct TextField {
    chars: heapless::Vec<char, MAX_LEN>,
    caret: usize,
    /// Shown as ●; the 👁 toggle reveals it.
    pub masked: bool,
    /// Whether the 👁 toggle currently reveals a masked field.
    pub revealed: bool,
    /// The most characters this field takes (the ユーザ設定情報 sheet's length); typing stops
    /// there.
    max: usize,
}

impl TextField {
    /// An empty field of at most `max` characters (never more than [`MAX_LEN`]); `masked`
    /// for passwords.
    pub fn new(masked: bool, max: usize) -> Self {
        Self {
            chars: heapless::Vec::new(),
            caret: 0,
            masked,
            revealed: false,
            max: max.min(MAX_LEN),
        }
    }

    /// Inserts `c` at the caret (ignored when the field is at its length or `c` is not a
    /// printable ASCII character: every value the manual asks for is ASCII).
    pub fn insert(&mut self, c: char) {
        if !(c.is_ascii_graphic()) || self.chars.len() >= self.max {
            return;
        }
        if self.chars.push(c).is_err() {
            return;
        }
        // The new character went to the end; rotate it back to the caret.
        self.chars[self.caret..].rotate_right(1);
        self.caret += 1;
    }

    /// Deletes the character before the caret.
    pub fn backspace(&mut self) {
        if self.caret == 0 {
            return;
        }
        self.chars[self.caret - 1..].rotate_left(1);
        if let Some(mut c) = self.chars.pop() {
            wipe_char(&mut c);
        }
        self.caret -= 1;
    }

    /// Moves the caret one character left.
    pub fn left(&mut self) {
        self.caret = self.caret.saturating_sub(1);
    }

    /// Moves the caret one character right.
    pub fn right(&mut self) {
        self.caret = (self.caret + 1).min(self.chars.len());
    }

    /// The caret's position, in characters.
    pub fn caret(&self) -> usize {
        self.caret
    }

    /// How many characters there are.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the field is empty.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The value, for sending or checking. Wipe what you copy it into.
    pub fn value(&self) -> String {
        self.chars.iter().collect()
    }

    /// What the screen shows: the value, or ● per character while masked.
    pub fn display(&self) -> String {
        if self.masked && !self.revealed {
            "●".repeat(self.chars.len())
        } else {
            self.value()
        }
    }

    /// Empties and wipes the field.
    pub fn clear(&mut self) {
        for c in self.chars.iter_mut() {
            wipe_char(c);
        }
        self.chars.clear();
        self.caret = 0;
    }
}

fn wipe_char(c: &mut char) {
    let mut bytes = [0u8; 4];
    c.encode_utf8(&mut bytes);
    wipe(&mut bytes);
    *c = '\0';
}

impl Drop for TextField {
    fn drop(&mut self) {
        self.clear();
    }
}

impl fmt::Debug for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TextField(<{} chars>)", self.chars.len())
    }
}

/// Several fields, one of which receives typing.
#[derive(Debug, Default)]
pub struct Form {
    /// The fields, in screen order.
    pub fields: Vec<TextField>,
    /// The field that receives typing.
    pub focus: usize,
}

impl Form {
    /// A form of fields, each `(masked, max)`: password fields are masked, `max` is the
    /// field's length.
    pub fn new(fields: &[(bool, usize)]) -> Self {
        Self {
            fields: fields
                .iter()
                .map(|&(m, max)| TextField::new(m, max))
                .collect(),
            focus: 0,
        }
    }

    /// The focused field.
    pub fn focused(&mut self) -> Option<&mut TextField> {
        self.fields.get_mut(self.focus)
    }

    /// Moves typing to field `i` (ignored if there is none).
    pub fn focus_on(&mut self, i: usize) {
        if i < self.fields.len() {
            self.focus = i;
        }
    }

    /// The value of field `i` (empty if there is none).
    pub fn value(&self, i: usize) -> String {
        self.fields.get(i).map(TextField::value).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &str) -> TextField {
        let mut f = TextField::new(false, MAX_LEN);
        for c in s.chars() {
            f.insert(c);
        }
        f
    }

    #[test]
    fn typing_inserts_at_the_caret() {
        let mut f = typed("W001");
        f.left();
        f.left();
        f.insert('9');
        assert_eq!(f.value(), "W0901");
        assert_eq!(f.caret(), 3);
        f.backspace();
        assert_eq!(f.value(), "W001");
        f.right();
        f.right();
        f.right();
        assert_eq!(f.caret(), 4, "the caret stops at the end");
    }

    #[test]
    fn backspace_at_the_start_does_nothing() {
        let mut f = typed("ab");
        f.left();
        f.left();
        f.backspace();
        assert_eq!(f.value(), "ab");
    }

    #[test]
    fn only_printable_ascii_and_at_most_max_len() {
        let mut f = typed("a b\u{3042}\n");
        assert_eq!(f.value(), "ab");
        for _ in 0..40 {
            f.insert('x');
        }
        assert_eq!(f.len(), MAX_LEN);
    }

    #[test]
    fn a_field_stops_taking_characters_at_its_own_length() {
        let mut f = TextField::new(false, 8);
        for c in "W00000012".chars() {
            f.insert(c);
        }
        assert_eq!(f.value(), "W0000001", "the ninth character is not taken");
        f.left();
        f.insert('9');
        assert_eq!(
            f.value(),
            "W0000001",
            "nor inserted in the middle of a full field"
        );
        f.backspace();
        f.insert('7');
        assert_eq!(f.value(), "W0000071");
        assert_eq!(
            TextField::new(false, 99).max,
            MAX_LEN,
            "never above MAX_LEN"
        );
    }

    #[test]
    fn masked_fields_show_dots_until_revealed() {
        let mut f = TextField::new(true, MAX_LEN);
        for c in "Pa55!".chars() {
            f.insert(c);
        }
        assert_eq!(f.display(), "●●●●●");
        f.revealed = true;
        assert_eq!(f.display(), "Pa55!");
        assert_eq!(format!("{f:?}"), "TextField(<5 chars>)");
    }
}
