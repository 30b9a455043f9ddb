//! Generators of valid domain values: what the encoders take and the parsers must give
//! back unchanged.

use myna_kakunin::center::account::{
    check_digit, AccessToken, ActivationCode, DeviceCredential, Enrollment, InstitutionCode,
    Password, RefreshToken, Registration, Session, UserId,
};
use myna_kakunin::center::info::{AppVersion, Notice, NoticeId, Version};
use myna_kakunin::center::model::{
    BackSide, CardClassification, Challenge, ChallengeId, CheckOutcome, Date, ElderlyCertificate,
    Preschool, Qualification, Ratio, Relation, Sex, Validity,
};
use myna_kakunin::center::wire::ErrorCode;
use myna_kakunin::sensitive::SensitiveText;

use crate::rng::Rng;

/// Characters for text fields: ASCII, full-width, kana, kanji, non-BMP, odd spaces; no
/// control characters.
const TEXT_CHARS: &[char] = &[
    'a',
    'Z',
    '0',
    '9',
    ' ',
    '-',
    '"',
    '\\',
    '/',
    '%',
    '=',
    '#',
    '\'',
    '<',
    '&',
    'é',
    'ｱ',
    'ﾞ',
    'あ',
    'ア',
    '資',
    '格',
    '太',
    '郎',
    '‐',
    '\u{3000}',
    '\u{2028}',
    '\u{feff}',
    '😀',
    '𠮷',
    '\u{10ffff}',
    '\u{fffd}',
    '０',
    '１',
];

/// `n` characters of [`TEXT_CHARS`].
pub fn text(rng: &mut Rng, min: usize, max: usize) -> String {
    let n = rng.range(min, max);
    (0..n).map(|_| *rng.pick(TEXT_CHARS)).collect()
}

/// `n` characters of `alphabet`.
pub fn from_alphabet(rng: &mut Rng, alphabet: &[u8], min: usize, max: usize) -> String {
    let n = rng.range(min, max);
    (0..n).map(|_| char::from(*rng.pick(alphabet))).collect()
}

const DIGITS: &[u8] = b"0123456789";
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const TOKEN_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

/// A real calendar day, mostly near today, sometimes at the ends of the range.
pub fn date(rng: &mut Rng) -> Date {
    loop {
        let year = match rng.below(8) {
            0 => rng.range(1, 9999) as u16,
            1 => *rng.pick(&[1u16, 9999, 2000, 1900, 2100]),
            _ => rng.range(1920, 2040) as u16,
        };
        let month = rng.range(1, 12) as u8;
        let day = rng.range(1, 31) as u8;
        if let Some(date) = Date::new(year, month, day) {
            return date;
        }
    }
}

/// A token of the protocol's token68 shape (16 to 512 characters).
pub fn token(rng: &mut Rng) -> String {
    let max = if rng.chance(1, 8) { 512 } else { 64 };
    let mut token = from_alphabet(rng, TOKEN_CHARS, 14, max - 2);
    for _ in 0..rng.below(3) {
        token.push('=');
    }
    while token.len() < 16 {
        token.insert(0, 'A');
    }
    token
}

/// An ID of `[A-Za-z0-9_-]`, 1 to `max` characters.
pub fn id(rng: &mut Rng, max: usize) -> String {
    from_alphabet(rng, ID_CHARS, 1, max)
}

/// An `https://` URL with a host and a path.
pub fn url(rng: &mut Rng) -> String {
    let host = *rng.pick(&[
        "myna-kakunin.example",
        "a.example",
        "127.0.0.1:8443",
        "[::1]",
        "xn--eckwd4c7c.example",
        "center.example.jp:443",
    ]);
    let path = from_alphabet(
        rng,
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/?=&",
        0,
        60,
    );
    format!("https://{host}/{path}")
}

pub fn notice(rng: &mut Rng) -> Notice {
    Notice {
        id: NoticeId::parse(&id(rng, 32)).expect("generated IDs are valid"),
        date: date(rng),
        title: text(rng, 1, 200),
        url: url(rng),
        read: rng.chance(1, 2),
    }
}

pub fn version(rng: &mut Rng) -> Version {
    let mut part = || match rng.below(4) {
        0 => 0,
        1 => u32::MAX,
        _ => rng.below(30) as u32,
    };
    Version::new(part(), part(), part())
}

pub fn app_version(rng: &mut Rng) -> AppVersion {
    let (a, b) = (version(rng), version(rng));
    AppVersion {
        latest: a.max(b),
        minimum: a.min(b),
        download_url: url(rng),
    }
}

pub fn challenge(rng: &mut Rng) -> Challenge {
    let n = rng.range(16, 256);
    Challenge {
        id: ChallengeId::parse(&id(rng, 64)).expect("generated IDs are valid"),
        nonce: rng.bytes(n),
        valid_seconds: seconds(rng),
    }
}

/// A lifetime in seconds, edges included.
pub fn seconds(rng: &mut Rng) -> u32 {
    match rng.below(4) {
        0 => *rng.pick(&[0, 1, u32::MAX, 120, 43_200]),
        _ => rng.next_u64() as u32 >> rng.below(32),
    }
}

/// A session and its access token.
pub fn session(rng: &mut Rng) -> (Session, AccessToken) {
    let session = Session {
        refresh_token: RefreshToken::parse(SensitiveText::new(token(rng))).expect("token-shaped"),
        refresh_valid_seconds: seconds(rng),
        access_valid_seconds: seconds(rng),
    };
    let access = AccessToken::parse(SensitiveText::new(token(rng))).expect("token-shaped");
    (session, access)
}

pub fn enrollment(rng: &mut Rng) -> (Enrollment, AccessToken) {
    let (session, access) = session(rng);
    let device = DeviceCredential::parse(SensitiveText::new(token(rng))).expect("token-shaped");
    (Enrollment { device, session }, access)
}

/// A well-formed error code: a known one, or an unknown `MK-` token.
pub fn error_code(rng: &mut Rng) -> ErrorCode {
    if rng.chance(3, 4) {
        rng.pick(&ErrorCode::KNOWN).clone()
    } else {
        let tail = from_alphabet(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 1, 13);
        ErrorCode::from_code(&format!("MK-{tail}")).expect("a well-formed code")
    }
}

/// A message as the kiosk shows it: at most 200 characters, no control characters.
pub fn message(rng: &mut Rng) -> String {
    text(rng, 0, 200)
}

fn optional_text(rng: &mut Rng) -> Option<SensitiveText> {
    rng.chance(1, 2)
        .then(|| SensitiveText::new(text(rng, 0, 30)))
}

fn required_text(rng: &mut Rng) -> SensitiveText {
    SensitiveText::new(text(rng, 1, 40))
}

fn optional_date(rng: &mut Rng) -> Option<Date> {
    rng.chance(1, 2).then(|| date(rng))
}

fn ratio(rng: &mut Rng) -> Ratio {
    Ratio::from_percent(10 * rng.below(11) as u8).expect("a multiple of 10 up to 100")
}

fn insurer_number(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => from_alphabet(rng, DIGITS, 8, 8),
        1 => from_alphabet(rng, DIGITS, 6, 6),
        _ => format!("  {}", from_alphabet(rng, DIGITS, 6, 6)),
    }
}

pub fn qualification(rng: &mut Rng) -> Qualification {
    let back = if rng.chance(1, 3) {
        // At least one item, or the parser (rightly) reads no back side at all.
        let sex = rng.chance(1, 2).then(|| *rng.pick(&Sex::ALL));
        let mut back = BackSide {
            name_kana: optional_text(rng),
            name: optional_text(rng),
            sex,
        };
        if back.name_kana.is_none() && back.name.is_none() && back.sex.is_none() {
            back.name = Some(required_text(rng));
        }
        Some(back)
    } else {
        None
    };
    Qualification {
        card_classification: *rng.pick(&CardClassification::ALL),
        insurer_number: SensitiveText::new(insurer_number(rng)),
        insurer_name: required_text(rng),
        symbol: optional_text(rng),
        number: required_text(rng),
        branch: rng
            .chance(1, 2)
            .then(|| SensitiveText::new(from_alphabet(rng, DIGITS, 2, 2))),
        name_kana: required_text(rng),
        name: required_text(rng),
        birthdate: date(rng),
        sex: *rng.pick(&Sex::ALL),
        valid_from: optional_date(rng),
        valid_until: optional_date(rng),
        qualified_on: optional_date(rng),
        ratio: rng.chance(1, 2).then(|| ratio(rng)),
        relation: rng.chance(1, 2).then(|| *rng.pick(&Relation::ALL)),
        insured_name: optional_text(rng),
        preschool: rng.chance(1, 4).then(|| *rng.pick(&Preschool::ALL)),
        back,
        elderly: rng.chance(1, 3).then(|| ElderlyCertificate {
            valid_from: optional_date(rng),
            valid_until: optional_date(rng),
            ratio: ratio(rng),
        }),
    }
}

/// A check outcome whose qualification is present exactly when its validity allows.
pub fn outcome(rng: &mut Rng) -> CheckOutcome {
    let validity = *rng.pick(&Validity::ALL);
    let qualification = match validity {
        Validity::NoQualification => None,
        Validity::MultipleMatches if rng.chance(1, 2) => None,
        _ => Some(qualification(rng)),
    };
    CheckOutcome {
        confirmation_date: date(rng),
        validity,
        cert_expiring: rng.chance(1, 4),
        qualification,
    }
}

/// Ten digits with a valid check digit.
pub fn institution_code(rng: &mut Rng) -> InstitutionCode {
    let body = from_alphabet(rng, DIGITS, 9, 9);
    let digit = check_digit(&body).expect("nine digits");
    InstitutionCode::parse(&format!("{body}{digit}")).expect("a valid check digit")
}

pub fn user_id(rng: &mut Rng) -> UserId {
    let letter = char::from(*rng.pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    UserId::parse(&format!("{letter}{}", from_alphabet(rng, DIGITS, 7, 7))).expect("well-formed")
}

pub fn password(rng: &mut Rng) -> Password {
    Password::new(SensitiveText::new(text(rng, 0, 24)))
}

pub fn activation_code(rng: &mut Rng) -> ActivationCode {
    let group = |rng: &mut Rng| from_alphabet(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 4, 4);
    let code = format!(
        "{}-{}-{}-{}",
        group(rng),
        group(rng),
        group(rng),
        group(rng)
    );
    ActivationCode::parse(&code).expect("well-formed")
}

pub fn registration(rng: &mut Rng) -> Registration {
    Registration {
        institution_code: institution_code(rng),
        user_id: user_id(rng),
        password: password(rng),
        activation_code: activation_code(rng),
    }
}
