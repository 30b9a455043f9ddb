//! Accounts, devices and sessions: the four values of the マイナ資格確認アプリユーザ設定情報
//! sheet (機関コード, user ID, password, activation code), the account password rules of the
//! manual (p.10), and the secrets the center hands out (device credential, session tokens).
//!
//! Every secret here is a newtype over [`SensitiveText`]: wiped on drop, `<redacted>` in
//! Debug, and only readable through an explicit `expose()`.

use core::fmt;

use crate::sensitive::SensitiveText;

/// Fewest characters of an account password (manual p.10).
pub const PASSWORD_MIN_CHARS: usize = 8;

/// Most characters of an account password (manual p.10).
pub const PASSWORD_MAX_CHARS: usize = 20;

/// The symbols an account password may contain, exactly the manual's set (p.10):
/// `` ` ~ ! @ # $ % ^ & * _ { } [ ] | ; ' < > , . ? - ( ) / ``.
pub const PASSWORD_SYMBOLS: &str = "`~!@#$%^&*_{}[]|;'<>,.?-()/";

/// Wrong passwords in a row that lock the account (manual p.15).
pub const MAX_PASSWORD_FAILURES: u8 = 5;

/// How long a locked account stays locked, in seconds (manual p.15: 30 minutes).
pub const LOCKOUT_SECONDS: i64 = 30 * 60;

/// Shortest token (device credential, access or refresh token) accepted on the wire.
const MIN_TOKEN_LEN: usize = 16;

/// Longest token accepted on the wire.
const MAX_TOKEN_LEN: usize = 512;

/// The check digit of `body` by the 2-1 method of the MHLW numbering rules (a Luhn check):
/// from the rightmost digit of `body` leftwards, digits are multiplied by 2, 1, 2, 1…; the
/// digits of each product are summed; the check digit is `10 - sum % 10` (0 when the sum is
/// a multiple of 10). `None` unless `body` is one or more ASCII digits.
///
/// It applies to 保険者番号, 公費負担者番号, 受給者番号 and the 10-digit 機関コード (computed
/// over its nine preceding digits), research/oqs-domain.md §3.
pub fn check_digit(body: &str) -> Option<u8> {
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, b)| {
            let digit = u32::from(b - b'0');
            if index % 2 == 0 {
                let product = digit * 2;
                product / 10 + product % 10
            } else {
                digit
            }
        })
        .sum();
    // The remainder is below 10, so the narrowing cannot truncate.
    Some(((10 - sum % 10) % 10) as u8)
}

/// Whether the last digit of `number` is the [`check_digit`] of the digits before it.
pub fn has_valid_check_digit(number: &str) -> bool {
    if !number.is_ascii() {
        return false;
    }
    // ASCII only, so every byte index is a character boundary.
    let Some((body, last)) = number.len().checked_sub(1).map(|i| number.split_at(i)) else {
        return false;
    };
    match (check_digit(body), last.as_bytes()) {
        (Some(expected), [digit]) => digit.is_ascii_digit() && digit - b'0' == expected,
        _ => false,
    }
}

/// Why text is not a 機関コード.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstitutionCodeError {
    /// Not exactly ten ASCII digits.
    NotTenDigits,
    /// The tenth digit is not the check digit of the nine before it.
    CheckDigit,
}

/// Characters in a 機関コード.
pub const INSTITUTION_CODE_LEN: usize = 10;
/// Characters in a user ID.
pub const USER_ID_LEN: usize = 8;
/// Characters in an activation code, hyphens included.
pub const ACTIVATION_CODE_LEN: usize = 19;

/// 機関コード: 10 digits, 都道府県(2) + 点数表(1) + 郡市区(2) + 機関番号(4) + check digit(1),
/// the check digit computed over the nine preceding digits ([`check_digit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionCode(String);

impl InstitutionCode {
    /// Parses a 機関コード: exactly ten ASCII digits with a valid check digit.
    pub fn parse(text: &str) -> Result<InstitutionCode, InstitutionCodeError> {
        if text.len() != INSTITUTION_CODE_LEN || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InstitutionCodeError::NotTenDigits);
        }
        if !has_valid_check_digit(text) {
            return Err(InstitutionCodeError::CheckDigit);
        }
        Ok(InstitutionCode(text.to_owned()))
    }

    /// The ten digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why text is not a user ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUserId;

/// The account's user ID (ユーザーID), e.g. `W0000001`: one ASCII capital letter and seven
/// digits. The format is this project's (the portal's only public example is `W0000001`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserId(String);

impl UserId {
    /// Parses a user ID: an ASCII capital letter followed by exactly seven ASCII digits.
    pub fn parse(text: &str) -> Result<UserId, InvalidUserId> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == USER_ID_LEN
            && bytes[0].is_ascii_uppercase()
            && bytes[1..].iter().all(u8::is_ascii_digit);
        if well_formed {
            Ok(UserId(text.to_owned()))
        } else {
            Err(InvalidUserId)
        }
    }

    /// The ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The first rule of the manual (p.10) that a password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRuleError {
    /// A character outside A–Z, a–z, 0–9 and [`PASSWORD_SYMBOLS`] (spaces, 全角, `+`, `"`…).
    ForbiddenCharacter,
    /// Fewer than [`PASSWORD_MIN_CHARS`] or more than [`PASSWORD_MAX_CHARS`] characters.
    Length,
    /// No capital letter A–Z.
    NoUppercase,
    /// No small letter a–z.
    NoLowercase,
    /// No digit 0–9.
    NoDigit,
    /// No symbol from [`PASSWORD_SYMBOLS`].
    NoSymbol,
}

/// Checks a new account password against the manual's rules (p.10): 8 to 20 characters,
/// only capital and small ASCII letters, digits and the symbols of [`PASSWORD_SYMBOLS`],
/// with at least one of each of the four kinds.
pub fn check_password_rules(password: &str) -> Result<(), PasswordRuleError> {
    let is_symbol = |c: char| PASSWORD_SYMBOLS.contains(c);
    if !password
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || is_symbol(c))
    {
        return Err(PasswordRuleError::ForbiddenCharacter);
    }
    // Only ASCII is left, so bytes are characters.
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&password.len()) {
        return Err(PasswordRuleError::Length);
    }
    let has = |test: fn(&char) -> bool| password.chars().any(|c| test(&c));
    if !has(char::is_ascii_uppercase) {
        return Err(PasswordRuleError::NoUppercase);
    }
    if !has(char::is_ascii_lowercase) {
        return Err(PasswordRuleError::NoLowercase);
    }
    if !has(char::is_ascii_digit) {
        return Err(PasswordRuleError::NoDigit);
    }
    if !password.chars().any(is_symbol) {
        return Err(PasswordRuleError::NoSymbol);
    }
    Ok(())
}

/// Declares a secret newtype over [`SensitiveText`] with a redacted Debug.
macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Wiped on drop; Debug prints `<redacted>`. Equality is for tests; the center
        /// compares digests, never these values.
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(SensitiveText);

        impl $name {
            /// The secret, to send to the center or to store protected; never to log.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret!(
    /// The account password as typed. Any text is accepted here (the center decides);
    /// [`Password::check_rules`] tells whether it may become a new password.
    Password
);

impl Password {
    /// Takes ownership of the typed text without copying it.
    pub fn new(text: SensitiveText) -> Password {
        Password(text)
    }

    /// Whether this may become the account's new password ([`check_password_rules`]).
    pub fn check_rules(&self) -> Result<(), PasswordRuleError> {
        check_password_rules(self.expose())
    }
}

/// Why text is not an activation code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidActivationCode;

secret!(
    /// アクティベーションコード from the ユーザ設定情報 sheet: four groups of four ASCII
    /// capital letters or digits joined by hyphens (`ABCD-EFGH-1234-5678`). The format is
    /// this project's.
    ActivationCode
);

impl ActivationCode {
    /// Parses an activation code, accepting small letters as typed and keeping capitals.
    pub fn parse(text: &str) -> Result<ActivationCode, InvalidActivationCode> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == ACTIVATION_CODE_LEN
            && bytes.iter().enumerate().all(|(index, &b)| {
                if index % 5 == 4 {
                    b == b'-'
                } else {
                    b.is_ascii_alphanumeric()
                }
            });
        if well_formed {
            Ok(ActivationCode(SensitiveText::new(
                text.to_ascii_uppercase(),
            )))
        } else {
            Err(InvalidActivationCode)
        }
    }
}

/// Whether `text` may be a token: [`MIN_TOKEN_LEN`]..=[`MAX_TOKEN_LEN`] characters of the
/// RFC 6750 token68 set (letters, digits, `-._~+/`, then optional `=` padding). Such a
/// value is safe in an `Authorization` header and in JSON without escaping.
pub fn is_token(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    (MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&text.len())
        && !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

secret!(
    /// The device credential the center issues at registration (初期登録). The kiosk keeps
    /// it (protected) and shows it with every login and session refresh; deregistration
    /// makes it worthless.
    DeviceCredential
);

secret!(
    /// A refresh token: renews the session at the passcode unlock without the account
    /// password. Rotated: each refresh returns a new one (the center accepts the one before
    /// it once more, for a kiosk that crashed before saving the new one; PROTOCOL.md).
    RefreshToken
);

secret!(
    /// An access token: authorises the calls of one session (`Authorization: Bearer`).
    AccessToken
);

impl DeviceCredential {
    /// A credential read back from the kiosk's store or the wire, if it is token-shaped.
    pub fn parse(text: SensitiveText) -> Option<DeviceCredential> {
        is_token(text.expose()).then_some(DeviceCredential(text))
    }
}

impl RefreshToken {
    /// A refresh token read back from the kiosk's store or the wire, if it is token-shaped.
    pub fn parse(text: SensitiveText) -> Option<RefreshToken> {
        is_token(text.expose()).then_some(RefreshToken(text))
    }
}

impl AccessToken {
    /// An access token from the wire, if it is token-shaped.
    pub fn parse(text: SensitiveText) -> Option<AccessToken> {
        is_token(text.expose()).then_some(AccessToken(text))
    }
}

/// What the kiosk types at 初期登録 (manual p.5), from the ユーザ設定情報 sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// 機関コード.
    pub institution_code: InstitutionCode,
    /// ID.
    pub user_id: UserId,
    /// パスワード.
    pub password: Password,
    /// アクティベーションコード.
    pub activation_code: ActivationCode,
}

/// A session the center opened (registration, login or refresh), as the kiosk keeps it.
///
/// The access token stays inside the [`Center`](super::Center) that opened the session;
/// the kiosk stores only the refresh token (protected) for the next passcode unlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Renews the session at the next passcode unlock; rotated at each use.
    pub refresh_token: RefreshToken,
    /// Seconds the refresh token stays valid; after that only ID + password log in.
    pub refresh_valid_seconds: u32,
    /// Seconds the session's access token stays valid.
    pub access_valid_seconds: u32,
}

/// The answer to a registration: the device's credential and its first session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// The device credential to keep (protected) until deregistration.
    pub device: DeviceCredential,
    /// The first session.
    pub session: Session,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_published_numbers() {
        // 機関コード examples of research/oqs-domain.md §3.3 (check over nine digits).
        assert!(has_valid_check_digit("0110113719"));
        assert!(has_valid_check_digit("2714206386"));
        // 保険者番号 examples of §3.1.
        assert!(has_valid_check_digit("33120015"));
        assert!(has_valid_check_digit("273128"));
        assert!(has_valid_check_digit("39131156"));
        assert_eq!(check_digit("011011371"), Some(9));
        assert_eq!(check_digit("3312001"), Some(5));
        // The manual's sample insurer number does not carry a valid check digit.
        assert!(!has_valid_check_digit("12345678"));
        for bad in ["", "1", "12a4", "０１"] {
            assert!(!has_valid_check_digit(bad), "{bad:?}");
        }
        assert_eq!(check_digit(""), None);
        assert_eq!(check_digit("1a"), None);
    }

    #[test]
    fn check_digit_is_zero_when_the_sum_is_a_multiple_of_ten() {
        assert_eq!(check_digit("0"), Some(0));
        // 9*2 = 18 -> 1+8 = 9, plus 1 = 10: check 0.
        assert_eq!(check_digit("19"), Some(0));
        // 1*2 = 2, plus 9 = 11: check 9.
        assert_eq!(check_digit("91"), Some(9));
    }

    #[test]
    fn institution_code_needs_ten_digits_and_its_check_digit() {
        assert_eq!(
            InstitutionCode::parse("0110113719").map(|c| c.as_str().to_owned()),
            Ok("0110113719".into())
        );
        assert_eq!(
            InstitutionCode::parse("0110113718"),
            Err(InstitutionCodeError::CheckDigit)
        );
        for bad in ["011011371", "01101137190", "011011371a", "０110113719", ""] {
            assert_eq!(
                InstitutionCode::parse(bad),
                Err(InstitutionCodeError::NotTenDigits),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn user_id_is_a_capital_and_seven_digits() {
        assert_eq!(UserId::parse("W0000001").unwrap().as_str(), "W0000001");
        for bad in [
            "w0000001",
            "W000001",
            "W00000001",
            "WW000001",
            "W000000a",
            "",
        ] {
            assert_eq!(UserId::parse(bad), Err(InvalidUserId), "{bad:?}");
        }
    }

    #[test]
    fn password_rules_follow_the_manual() {
        assert_eq!(check_password_rules("Myna#Demo2025"), Ok(()));
        // Every symbol of the manual's set counts as the symbol.
        for symbol in PASSWORD_SYMBOLS.chars() {
            let password = format!("Abcdef1{symbol}");
            assert_eq!(check_password_rules(&password), Ok(()), "{password}");
        }
        assert_eq!(PASSWORD_SYMBOLS.chars().count(), 27);
        // Length: 8 and 20 are fine, 7 and 21 are not.
        assert_eq!(check_password_rules("Ab1#Ab1#"), Ok(()));
        assert_eq!(
            check_password_rules("Ab1#Ab1"),
            Err(PasswordRuleError::Length)
        );
        assert_eq!(
            check_password_rules(&format!("Ab1#{}", "x".repeat(16))),
            Ok(())
        );
        assert_eq!(
            check_password_rules(&format!("Ab1#{}", "x".repeat(17))),
            Err(PasswordRuleError::Length)
        );
        assert_eq!(
            check_password_rules("abcdef1#"),
            Err(PasswordRuleError::NoUppercase)
        );
        assert_eq!(
            check_password_rules("ABCDEF1#"),
            Err(PasswordRuleError::NoLowercase)
        );
        assert_eq!(
            check_password_rules("Abcdefg#"),
            Err(PasswordRuleError::NoDigit)
        );
        assert_eq!(
            check_password_rules("Abcdefg1"),
            Err(PasswordRuleError::NoSymbol)
        );
        // Anything outside the manual's set is refused, even with every kind present.
        for bad in [
            "Abcdef1# ",
            "Abcdef1#+",
            "Abcdef1#=",
            "Abcdef1#:",
            "Abcdef1#\"",
            "Abcdef1#\\",
            "Abcdef1#あ",
            "Ａbcdef1#",
            "Abcdef1#\t",
        ] {
            assert_eq!(
                check_password_rules(bad),
                Err(PasswordRuleError::ForbiddenCharacter),
                "{bad:?}"
            );
        }
        let typed = Password::new("Abcdefg1".into());
        assert_eq!(typed.check_rules(), Err(PasswordRuleError::NoSymbol));
    }

    #[test]
    fn activation_code_is_four_groups_of_four() {
        let code = ActivationCode::parse("demo-myna-test-0001").unwrap();
        assert_eq!(code.expose(), "DEMO-MYNA-TEST-0001");
        for bad in [
            "DEMO-MYNA-TEST-000",
            "DEMOMYNATEST0001",
            "DEMO-MYNA-TEST-0001-",
            "DEMO_MYNA_TEST_0001",
            "DEMO-MYNA-TEST-00０1",
            "",
        ] {
            assert_eq!(
                ActivationCode::parse(bad).map(|_| ()),
                Err(InvalidActivationCode),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tokens_are_token68() {
        assert!(is_token(&"a".repeat(16)));
        assert!(is_token("abcdefABCDEF0123-._~+/=="));
        assert!(!is_token(&"a".repeat(15)));
        assert!(!is_token(&"a".repeat(513)));
        for bad in [
            "abcdefghijklmnop q",
            "abcdefghijklmnop\r\n",
            "abcdefghijklmnop\"",
            "================",
        ] {
            assert!(!is_token(bad), "{bad:?}");
        }
        assert!(RefreshToken::parse("short".into()).is_none());
        assert!(DeviceCredential::parse("0123456789abcdef0123".into()).is_some());
        assert!(AccessToken::parse("0123456789abcdef0123".into()).is_some());
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let registration = Registration {
            institution_code: InstitutionCode::parse("0110113719").unwrap(),
            user_id: UserId::parse("W0000001").unwrap(),
            password: Password::new("Myna#Demo2025".into()),
            activation_code: ActivationCode::parse("DEMO-MYNA-TEST-0001").unwrap(),
        };
        let enrollment = Enrollment {
            device: DeviceCredential::parse("devicecredential0123".into()).unwrap(),
            session: Session {
                refresh_token: RefreshToken::parse("refreshtoken0123456".into()).unwrap(),
                refresh_valid_seconds: 60,
                access_valid_seconds: 30,
            },
        };
        let access = AccessToken::parse("accesstoken01234567".into()).unwrap();
        let shown = format!("{registration:?} {enrollment:?} {access:?}");
        for secret in [
            "Myna#Demo2025",
            "DEMO-MYNA",
            "devicecredential",
            "refreshtoken",
            "accesstoken",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("Password(<redacted>)"), "{shown}");
    }
}
