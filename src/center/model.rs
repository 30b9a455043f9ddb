//! The qualification-check domain: dates, the official code tables and the result the
//! limited-type app shows (マイナ資格確認アプリ 操作マニュアル p.21).
//!
//! Everything here is parsed at the edge (`wire`) so that a value of these types cannot be
//! wrong: a [`Date`] is a real calendar day, a [`Ratio`] is a whole number of 割, every code
//! is one of the official table's values. Display strings are not here: each enum has a
//! stable `code()` (the official value) and the UI's strings module maps it to Japanese.
//!
//! Patient data never shows in `Debug`: strings are [`SensitiveText`], and the structs that
//! hold dates, sex or the card classification of a person print `<redacted>` instead.

use core::fmt;
use core::sync::atomic::{compiler_fence, Ordering};

use crate::sensitive::SensitiveText;

/// Seconds east of UTC for Japan Standard Time (no daylight saving time).
const JST_OFFSET_SECONDS: i64 = 9 * 3600;

/// Seconds in a civil day.
const SECONDS_PER_DAY: i64 = 86_400;

/// A calendar day of the proleptic Gregorian calendar, years 1 to 9999.
///
/// The official format is `YYYYMMDD` ([`Date::parse_yyyymmdd`], [`Date::to_yyyymmdd`]).
/// Not `Copy`, so that a birthdate is not silently duplicated; owners that hold patient
/// dates wipe them on drop (see [`Qualification`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived ordering compares year, then month, then day.
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The earliest representable day, 0001-01-01.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };

    /// The latest representable day, 9999-12-31.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// The day `year`-`month`-`day`, if it exists in the calendar and years 1..=9999.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses the official `YYYYMMDD` form: exactly eight ASCII digits naming a real day.
    pub fn parse_yyyymmdd(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 8 || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let number = |range: core::ops::Range<usize>| -> u16 {
            bytes[range]
                .iter()
                .fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'))
        };
        // Two digits are at most 99, so the narrowing conversions cannot fail.
        let month = u8::try_from(number(4..6)).ok()?;
        let day = u8::try_from(number(6..8)).ok()?;
        Date::new(number(0..4), month, day)
    }

    /// The day in Japan (UTC+9, no daylight saving time) at `unix_seconds`.
    ///
    /// Instants outside years 1..=9999 are clamped to [`Date::MIN`] / [`Date::MAX`]; only a
    /// badly broken clock produces them.
    pub fn from_unix_jst(unix_seconds: i64) -> Date {
        let days = unix_seconds
            .saturating_add(JST_OFFSET_SECONDS)
            .div_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        if year < 1 {
            return Date::MIN;
        }
        if year > 9999 {
            return Date::MAX;
        }
        // year is in 1..=9999 and month/day come from the algorithm's ranges (1..=12, 1..=31).
        Date {
            year: year as u16,
            month,
            day,
        }
    }

    /// The official `YYYYMMDD` form.
    pub fn to_yyyymmdd(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// The year (1..=9999).
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month (1..=12).
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month (1..=31).
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The same day `months` months later (earlier when negative); a day past the end of the
    /// target month becomes its last day (01-31 plus one month is 02-28 or 02-29). Saturates
    /// at [`Date::MIN`] / [`Date::MAX`].
    pub fn add_months(&self, months: i32) -> Date {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let year = index.div_euclid(12);
        if year < 1 {
            return Date::MIN;
        }
        if year > 9999 {
            return Date::MAX;
        }
        // year is in 1..=9999 and the remainder is in 0..12.
        let year = year as u16;
        let month = index.rem_euclid(12) as u8 + 1;
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }

    /// The last day of this date's month.
    pub fn end_of_month(&self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: days_in_month(self.year, self.month),
        }
    }

    /// Overwrites the date with zeros (not a valid day; only for values about to be dropped).
    fn wipe(&mut self) {
        self.year = 0;
        self.month = 0;
        self.day = 0;
        // As in `sensitive::wipe`: keep the optimiser from proving the stores dead.
        compiler_fence(Ordering::SeqCst);
        core::hint::black_box(&mut *self);
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Date({:04}-{:02}-{:02})",
            self.year, self.month, self.day
        )
    }
}

/// Whether `year` is a Gregorian leap year.
fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Days in `month` (1..=12) of `year`.
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The civil date of `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`, in i64).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    // Shift the epoch to 0000-03-01 so that leap days fall at the end of a 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0..=399
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11, March = 0
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u8; // 1..=31
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u8; // 1..=12
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// 資格有効性 (QualificationValidity, code table OQSCD006).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Validity {
    /// `1` 有効: the qualification is valid on the confirmation date.
    Valid,
    /// `2` 無効: a qualification matched but is not valid on the confirmation date.
    Invalid,
    /// `3` 無効（新しい資格あり）: invalid, and the person has a newer qualification.
    InvalidNewerExists,
    /// `4` 該当資格なし: nothing matched.
    NoQualification,
    /// `5` 複数該当: more than one qualification matched (medical insurance only).
    MultipleMatches,
    /// `6` 有効（未登録）: 医療扶助 exists but no 医療券 is registered yet.
    ValidUnregistered,
}

impl Validity {
    /// Every value, in code order.
    pub const ALL: [Validity; 6] = [
        Validity::Valid,
        Validity::Invalid,
        Validity::InvalidNewerExists,
        Validity::NoQualification,
        Validity::MultipleMatches,
        Validity::ValidUnregistered,
    ];

    /// The official code (`"1"`..`"6"`).
    pub fn code(self) -> &'static str {
        match self {
            Validity::Valid => "1",
            Validity::Invalid => "2",
            Validity::InvalidNewerExists => "3",
            Validity::NoQualification => "4",
            Validity::MultipleMatches => "5",
            Validity::ValidUnregistered => "6",
        }
    }

    /// The value for an official code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Validity> {
        Validity::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// 被保険者証区分 (InsuredCardClassification, code table OQSCD010).
///
/// The names follow the table before the 2024-12 reform; the newer table renamed some
/// codes (noted per variant). The center returns whichever the insurer registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardClassification {
    /// `01` 被保険者証（一般）.
    Regular,
    /// `02` 被保険者証（退職）.
    Retired,
    /// `03` 短期被保険者証（一般）.
    ShortTermRegular,
    /// `04` 短期被保険者証（退職）.
    ShortTermRetired,
    /// `05` 被保険者資格証明書 (newer table: 特別療養費支給対象者).
    CertificateOfQualification,
    /// `06` 特例退職被保険者証.
    SpecialRetired,
    /// `07` 自衛官診療証 (newer table: 自衛官).
    SelfDefenseForces,
    /// `A1` 医療扶助 (public assistance under the 生活保護法).
    MedicalAssistance,
}

impl CardClassification {
    /// Every value, in code order.
    pub const ALL: [CardClassification; 8] = [
        CardClassification::Regular,
        CardClassification::Retired,
        CardClassification::ShortTermRegular,
        CardClassification::ShortTermRetired,
        CardClassification::CertificateOfQualification,
        CardClassification::SpecialRetired,
        CardClassification::SelfDefenseForces,
        CardClassification::MedicalAssistance,
    ];

    /// The official two-character code (`"01"`..`"07"`, `"A1"`).
    pub fn code(self) -> &'static str {
        match self {
            CardClassification::Regular => "01",
            CardClassification::Retired => "02",
            CardClassification::ShortTermRegular => "03",
            CardClassification::ShortTermRetired => "04",
            CardClassification::CertificateOfQualification => "05",
            CardClassification::SpecialRetired => "06",
            CardClassification::SelfDefenseForces => "07",
            CardClassification::MedicalAssistance => "A1",
        }
    }

    /// The value for an official code; `None` for anything else (codes are case-sensitive).
    pub fn from_code(code: &str) -> Option<CardClassification> {
        CardClassification::ALL
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// 性別 (Sex1 / Sex2, code table OQSCD007).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `1` 男.
    Male,
    /// `2` 女.
    Female,
    /// `3` 未設定.
    Unset,
}

impl Sex {
    /// Every value, in code order.
    pub const ALL: [Sex; 3] = [Sex::Male, Sex::Female, Sex::Unset];

    /// The official code (`"1"`..`"3"`).
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Unset => "3",
        }
    }

    /// The value for an official code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Sex> {
        Sex::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// 本人・家族の別 (PersonalFamilyClassification, code table OQSCD009).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// `1` 本人: the insured person.
    Insured,
    /// `2` 家族: a dependent family member.
    Family,
}

impl Relation {
    /// Every value, in code order.
    pub const ALL: [Relation; 2] = [Relation::Insured, Relation::Family];

    /// The official code (`"1"` or `"2"`).
    pub fn code(self) -> &'static str {
        match self {
            Relation::Insured => "1",
            Relation::Family => "2",
        }
    }

    /// The value for an official code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// 未就学区分 (PreschoolClassification, code table OQSCD015). The table has one value; an
/// absent field means the person is not 未就学.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preschool {
    /// `1` 未就学: before compulsory education (shown as 「義務教育就学前」).
    BeforeCompulsoryEducation,
}

impl Preschool {
    /// Every value, in code order.
    pub const ALL: [Preschool; 1] = [Preschool::BeforeCompulsoryEducation];

    /// The official code (`"1"`).
    pub fn code(self) -> &'static str {
        match self {
            Preschool::BeforeCompulsoryEducation => "1",
        }
    }

    /// The value for an official code; `None` for anything else (`"2"` 就学中 is not in
    /// the confirmed table).
    pub fn from_code(code: &str) -> Option<Preschool> {
        Preschool::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// 一部負担金割合: the share of the bill the patient pays, a whole number of 割 (tenths).
///
/// Officially a 3-digit percent string: `"010"` is 1割, `"030"` is 3割.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    percent: u8,
}

impl Ratio {
    /// The ratio for `percent` if it is a multiple of 10 from 0 to 100.
    pub fn from_percent(percent: u8) -> Option<Ratio> {
        (percent <= 100 && percent.is_multiple_of(10)).then_some(Ratio { percent })
    }

    /// Parses the official form: exactly three ASCII digits, a multiple of 10 up to 100.
    pub fn from_code(code: &str) -> Option<Ratio> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let percent = bytes
            .iter()
            .fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'));
        Ratio::from_percent(u8::try_from(percent).ok()?)
    }

    /// The official three-digit form (`"010"`).
    pub fn code(self) -> String {
        format!("{:03}", self.percent)
    }

    /// The share in percent (10 for 1割).
    pub fn percent(self) -> u8 {
        self.percent
    }

    /// The share in tenths, i.e. 割 (1 for `"010"`).
    pub fn tenths(self) -> u8 {
        self.percent / 10
    }
}

/// 裏面記載情報: what the insurer prints on the back of the card (another registered name,
/// or the sex under the H24.9.21 gender-identity accommodation).
#[derive(Clone, PartialEq, Eq)]
pub struct BackSide {
    /// 氏名カナ（その他） (NameOfOtherKana).
    pub name_kana: Option<SensitiveText>,
    /// 氏名（その他） (NameOfOther).
    pub name: Option<SensitiveText>,
    /// 性別2 (Sex2).
    pub sex: Option<Sex>,
}

impl fmt::Debug for BackSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackSide(<redacted>)")
    }
}

/// 高齢受給者証情報 (ElderlyRecipientCertificateInfo), for people aged 70 to 74.
#[derive(Clone, PartialEq, Eq)]
pub struct ElderlyCertificate {
    /// 有効開始年月日 (ElderlyRecipientValidStartDate).
    pub valid_from: Option<Date>,
    /// 有効終了年月日 (ElderlyRecipientValidEndDate).
    pub valid_until: Option<Date>,
    /// 一部負担金割合 (ElderlyRecipientContributionRatio), e.g. `"020"` = 2割.
    pub ratio: Ratio,
}

impl fmt::Debug for ElderlyCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ElderlyCertificate(<redacted>)")
    }
}

/// One 資格確認結果 (ResultOfQualificationConfirmation): the fields the limited-type app
/// shows on its result screen. Its dates are wiped when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Qualification {
    /// 証区分 (InsuredCardClassification).
    pub card_classification: CardClassification,
    /// 保険者番号 (InsurerNumber): 8 digits, or 6 for 国保 (possibly right-aligned with two
    /// half-width spaces). For 医療扶助 the 公費負担者番号.
    pub insurer_number: SensitiveText,
    /// 保険者名 (InsurerName); for 医療扶助 the 福祉事務所 name.
    pub insurer_name: SensitiveText,
    /// 記号 (InsuredCardSymbol), exactly as given (often 全角); absent for e.g. 後期高齢者.
    pub symbol: Option<SensitiveText>,
    /// 番号 (InsuredIdentificationNumber), exactly as given; for 医療扶助 the 受給者番号.
    pub number: SensitiveText,
    /// 枝番 (InsuredBranchNumber): two ASCII digits, kept as given (`"02"`).
    pub branch: Option<SensitiveText>,
    /// フリガナ (NameKana).
    pub name_kana: SensitiveText,
    /// 氏名 (Name), as printed on the card.
    pub name: SensitiveText,
    /// 生年月日 (Birthdate).
    pub birthdate: Date,
    /// 性別 (Sex1): the sex on the front of the card.
    pub sex: Sex,
    /// 有効開始日 (InsuredCardValidDate).
    pub valid_from: Option<Date>,
    /// 有効終了日 (InsuredCardExpirationDate).
    pub valid_until: Option<Date>,
    /// 資格取得年月日 (QualificationDate).
    pub qualified_on: Option<Date>,
    /// 負担割合 (InsuredPartialContributionRatio).
    pub ratio: Option<Ratio>,
    /// 本人・家族の別 (PersonalFamilyClassification); absent for 後期高齢者.
    pub relation: Option<Relation>,
    /// 被保険者氏名 (InsuredName): the insured person or 世帯主 of a family member.
    pub insured_name: Option<SensitiveText>,
    /// 未就学区分 (PreschoolClassification): `Some` for 義務教育就学前.
    pub preschool: Option<Preschool>,
    /// 裏面記載情報, when any of its items is set.
    pub back: Option<BackSide>,
    /// 高齢受給者証, when the person has one.
    pub elderly: Option<ElderlyCertificate>,
}

impl Qualification {
    /// Whether this is a 医療扶助 (public assistance) qualification: 証区分 `A1`.
    ///
    /// The 法別番号 `12` prefix of a 公費負担者番号 is not used as a second test: ordinary
    /// 8-digit insurer numbers start with `12` too (the manual's own sample, `12345678`, is
    /// a 健保組合 with 証区分 一般), and the result layout marks 医療扶助 with `A1`.
    pub fn is_medical_assistance(&self) -> bool {
        self.card_classification == CardClassification::MedicalAssistance
    }

    /// Overwrites every date this qualification holds (called on drop).
    fn wipe_dates(&mut self) {
        self.birthdate.wipe();
        let optional = [
            &mut self.valid_from,
            &mut self.valid_until,
            &mut self.qualified_on,
        ];
        for date in optional.into_iter().flatten() {
            date.wipe();
        }
        if let Some(elderly) = &mut self.elderly {
            for date in [&mut elderly.valid_from, &mut elderly.valid_until]
                .into_iter()
                .flatten()
            {
                date.wipe();
            }
        }
    }
}

impl Drop for Qualification {
    fn drop(&mut self) {
        // The strings wipe themselves (SensitiveText); the dates are plain integers.
        self.wipe_dates();
    }
}

impl fmt::Debug for Qualification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Qualification(<redacted>)")
    }
}

/// The answer to one qualification check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// 資格確認日 (QualificationConfirmationDate), the center's date in Japan.
    pub confirmation_date: Date,
    /// 資格有効性 (QualificationValidity).
    pub validity: Validity,
    /// The 付帯情報 that the card's certificate expires within three months (or has
    /// expired and is in its grace period): the app shows 「3か月以内に証明書が失効します」.
    pub cert_expiring: bool,
    /// The qualification; absent for [`Validity::NoQualification`] (and possibly for
    /// [`Validity::MultipleMatches`]), present for every other validity.
    pub qualification: Option<Qualification>,
}

impl CheckOutcome {
    /// Whether the person is a 医療扶助 recipient (see [`Qualification::is_medical_assistance`]).
    pub fn is_medical_assistance(&self) -> bool {
        self.qualification
            .as_ref()
            .is_some_and(Qualification::is_medical_assistance)
    }

    /// Whether the person is 義務教育就学前 (未就学区分 = 1).
    pub fn is_preschool(&self) -> bool {
        self.qualification
            .as_ref()
            .is_some_and(|q| q.preschool.is_some())
    }
}

/// Longest challenge ID accepted.
const MAX_CHALLENGE_ID_LEN: usize = 64;

/// Why text is not a challenge ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidChallengeId;

/// The ID of a challenge, sent back with the signature: 1 to 64 ASCII letters, digits,
/// `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChallengeId(String);

impl ChallengeId {
    /// Parses a challenge ID.
    pub fn parse(text: &str) -> Result<ChallengeId, InvalidChallengeId> {
        let well_formed = (1..=MAX_CHALLENGE_ID_LEN).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(ChallengeId(text.to_owned()))
        } else {
            Err(InvalidChallengeId)
        }
    }

    /// The ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fresh random challenge for a 暗証番号 (PIN) check: the card signs `nonce` with the
/// key of its 利用者証明用電子証明書 (RSASSA-PKCS1-v1_5, SHA-256) after the patient's PIN
/// opened it. The center accepts it once, within `valid_seconds` of issuing it.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Names the challenge in the check request.
    pub id: ChallengeId,
    /// The bytes to sign, exactly as given.
    pub nonce: Vec<u8>,
    /// Seconds from issue until the center refuses it (120 in protocol v1).
    pub valid_seconds: u32,
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Challenge {{ id: {:?}, nonce: <{} bytes>, valid_seconds: {} }}",
            self.id,
            self.nonce.len(),
            self.valid_seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse_yyyymmdd(text).unwrap()
    }

    fn sample() -> Qualification {
        Qualification {
            card_classification: CardClassification::Regular,
            insurer_number: "12345678".into(),
            insurer_name: "限定資格保険組合".into(),
            symbol: Some("1234".into()),
            number: "001".into(),
            branch: Some("02".into()),
            name_kana: "シカク タロウ".into(),
            name: "資格 太郎".into(),
            birthdate: date("19520101"),
            sex: Sex::Male,
            valid_from: Some(date("20250401")),
            valid_until: Some(date("20270331")),
            qualified_on: Some(date("20250401")),
            ratio: Ratio::from_code("010"),
            relation: Some(Relation::Insured),
            insured_name: None,
            preschool: None,
            back: None,
            elderly: Some(ElderlyCertificate {
                valid_from: Some(date("20250401")),
                valid_until: Some(date("20260331")),
                ratio: Ratio::from_percent(20).unwrap(),
            }),
        }
    }

    fn outcome(qualification: Option<Qualification>) -> CheckOutcome {
        CheckOutcome {
            confirmation_date: date("20251201"),
            validity: Validity::Valid,
            cert_expiring: false,
            qualification,
        }
    }

    #[test]
    fn date_parses_and_formats_yyyymmdd() {
        let d = date("19520101");
        assert_eq!((d.year(), d.month(), d.day()), (1952, 1, 1));
        assert_eq!(d.to_yyyymmdd(), "19520101");
        assert_eq!(date("00010101"), Date::MIN);
        assert_eq!(date("99991231"), Date::MAX);
    }

    #[test]
    fn date_rejects_bad_shapes() {
        for bad in [
            "",
            "2023120",
            "202312011",
            "2023-1201",
            "2023120a",
            "２０２３１２０１",
            " 20231201",
            "+2023120",
        ] {
            assert_eq!(Date::parse_yyyymmdd(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn date_validates_the_calendar() {
        for bad in [
            "20231301", "20230001", "20231200", "20230431", "20230229", "19000229", "00000101",
            "20231232",
        ] {
            assert_eq!(Date::parse_yyyymmdd(bad), None, "{bad}");
        }
        for good in ["20240229", "20000229", "20230430", "20231231", "20230131"] {
            assert!(Date::parse_yyyymmdd(good).is_some(), "{good}");
        }
        assert_eq!(Date::new(2023, 2, 29), None);
        assert_eq!(Date::new(0, 1, 1), None);
        assert_eq!(Date::new(10000, 1, 1), None);
    }

    #[test]
    fn date_orders_chronologically() {
        assert!(date("20231231") < date("20240101"));
        assert!(date("20240131") < date("20240201"));
        assert!(date("20240201") < date("20240202"));
    }

    #[test]
    fn jst_day_changes_at_midnight_japan_time() {
        // 2023-11-30T15:00:00Z is 2023-12-01T00:00:00+09:00.
        let midnight_jst = 1_701_356_400;
        assert_eq!(Date::from_unix_jst(midnight_jst - 1), date("20231130"));
        assert_eq!(Date::from_unix_jst(midnight_jst), date("20231201"));
        // Still 2023-12-01 in Japan until 15:00 UTC that day.
        assert_eq!(Date::from_unix_jst(midnight_jst + 86_399), date("20231201"));
        assert_eq!(Date::from_unix_jst(midnight_jst + 86_400), date("20231202"));
    }

    #[test]
    fn jst_conversion_handles_epoch_leap_days_and_year_ends() {
        assert_eq!(Date::from_unix_jst(0), date("19700101"));
        // 1969-12-31T14:59:59Z is 23:59:59 JST, the day before the epoch in Japan.
        assert_eq!(Date::from_unix_jst(-32_401), date("19691231"));
        assert_eq!(Date::from_unix_jst(-32_400), date("19700101"));
        // 2024-02-29T00:00:00+09:00 = 2024-02-28T15:00:00Z.
        assert_eq!(Date::from_unix_jst(1_709_132_400), date("20240229"));
        assert_eq!(Date::from_unix_jst(1_709_132_399), date("20240228"));
        // 2000-03-01T00:00:00+09:00 (400-year leap rule).
        assert_eq!(Date::from_unix_jst(951_836_400), date("20000301"));
        assert_eq!(Date::from_unix_jst(951_836_399), date("20000229"));
        // 2024-12-31T23:59:59+09:00 then the new year.
        assert_eq!(Date::from_unix_jst(1_735_657_199), date("20241231"));
        assert_eq!(Date::from_unix_jst(1_735_657_200), date("20250101"));
    }

    #[test]
    fn jst_conversion_clamps_absurd_clocks() {
        assert_eq!(Date::from_unix_jst(i64::MIN), Date::MIN);
        assert_eq!(Date::from_unix_jst(i64::MAX), Date::MAX);
    }

    #[test]
    fn add_months_clamps_to_the_end_of_the_month() {
        assert_eq!(date("20241225").add_months(-3), date("20240925"));
        assert_eq!(date("20240131").add_months(1), date("20240229"));
        assert_eq!(date("20230131").add_months(1), date("20230228"));
        assert_eq!(date("20241130").add_months(3), date("20250228"));
        assert_eq!(date("20250315").add_months(-15), date("20231215"));
        assert_eq!(date("00010201").add_months(-2), Date::MIN);
        assert_eq!(date("99991101").add_months(2), Date::MAX);
        assert_eq!(date("20240215").end_of_month(), date("20240229"));
    }

    #[test]
    fn validity_codes_round_trip_and_unknowns_are_rejected() {
        for v in Validity::ALL {
            assert_eq!(Validity::from_code(v.code()), Some(v));
        }
        let codes: Vec<_> = Validity::ALL.iter().map(|v| v.code()).collect();
        assert_eq!(codes, ["1", "2", "3", "4", "5", "6"]);
        for bad in ["0", "7", "01", "", " 1", "１"] {
            assert_eq!(Validity::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn card_classification_codes_round_trip_and_unknowns_are_rejected() {
        for c in CardClassification::ALL {
            assert_eq!(CardClassification::from_code(c.code()), Some(c));
        }
        let codes: Vec<_> = CardClassification::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes, ["01", "02", "03", "04", "05", "06", "07", "A1"]);
        for bad in ["1", "00", "08", "a1", "A2", "", "０１"] {
            assert_eq!(CardClassification::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn preschool_code_round_trips_and_unknowns_are_rejected() {
        assert_eq!(
            Preschool::from_code("1"),
            Some(Preschool::BeforeCompulsoryEducation)
        );
        assert_eq!(Preschool::BeforeCompulsoryEducation.code(), "1");
        for bad in ["0", "2", "", "１"] {
            assert_eq!(Preschool::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sex_and_relation_codes_round_trip_and_unknowns_are_rejected() {
        for s in Sex::ALL {
            assert_eq!(Sex::from_code(s.code()), Some(s));
        }
        assert_eq!(Sex::from_code("1"), Some(Sex::Male));
        assert_eq!(Sex::from_code("2"), Some(Sex::Female));
        assert_eq!(Sex::from_code("3"), Some(Sex::Unset));
        for bad in ["0", "4", "M", ""] {
            assert_eq!(Sex::from_code(bad), None, "{bad:?}");
        }
        for r in Relation::ALL {
            assert_eq!(Relation::from_code(r.code()), Some(r));
        }
        assert_eq!(Relation::from_code("1"), Some(Relation::Insured));
        assert_eq!(Relation::from_code("2"), Some(Relation::Family));
        for bad in ["0", "3", ""] {
            assert_eq!(Relation::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ratio_is_a_three_digit_percent() {
        let one = Ratio::from_code("010").unwrap();
        assert_eq!(
            (one.tenths(), one.percent(), one.code()),
            (1, 10, "010".into())
        );
        assert_eq!(Ratio::from_code("020").unwrap().tenths(), 2);
        assert_eq!(Ratio::from_code("030").unwrap().tenths(), 3);
        assert_eq!(Ratio::from_code("100").unwrap().tenths(), 10);
        assert_eq!(Ratio::from_code("000").unwrap().tenths(), 0);
        for percent in (0..=100).step_by(10) {
            let r = Ratio::from_percent(percent).unwrap();
            assert_eq!(Ratio::from_code(&r.code()), Some(r));
        }
        for bad in [
            "abc",
            "15",
            "10",
            "1",
            "0100",
            "015",
            "110",
            "999",
            " 10",
            "-10",
            "０１０",
        ] {
            assert_eq!(Ratio::from_code(bad), None, "{bad:?}");
        }
        assert_eq!(Ratio::from_percent(15), None);
        assert_eq!(Ratio::from_percent(110), None);
    }

    #[test]
    fn medical_assistance_is_classification_a1_only() {
        // The manual's sample insurer 12345678 starts with 12 but is 証区分 一般.
        assert!(
            !outcome(Some(sample())).is_medical_assistance(),
            "12345678 (一般)"
        );
        let mut q = sample();
        q.card_classification = CardClassification::MedicalAssistance;
        q.insurer_number = "12136017".into();
        assert!(outcome(Some(q.clone())).is_medical_assistance());
        q.card_classification = CardClassification::Regular;
        assert!(
            !outcome(Some(q)).is_medical_assistance(),
            "a 12 prefix alone is not 医療扶助"
        );
        assert!(!outcome(None).is_medical_assistance());
    }

    #[test]
    fn preschool_follows_the_classification() {
        assert!(!outcome(Some(sample())).is_preschool());
        let mut q = sample();
        q.preschool = Some(Preschool::BeforeCompulsoryEducation);
        assert!(outcome(Some(q)).is_preschool());
        assert!(!outcome(None).is_preschool());
    }

    #[test]
    fn debug_never_shows_patient_data() {
        let mut q = sample();
        q.back = Some(BackSide {
            name_kana: Some("タシカク タロウ".into()),
            name: Some("他資格 太郎".into()),
            sex: Some(Sex::Female),
        });
        let shown = format!("{:?}", outcome(Some(q.clone())));
        for secret in [
            "1952", "太郎", "12345678", "Male", "Female", "Regular", "2027", "010",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("Valid"), "{shown}");
        let parts = format!("{:?} {:?}", q.back, q.elderly);
        assert!(
            !parts.contains("Female") && !parts.contains("2025"),
            "{parts}"
        );
    }

    #[test]
    fn challenge_ids_are_short_ascii_tokens() {
        assert_eq!(
            ChallengeId::parse("c0ffee-01_A").unwrap().as_str(),
            "c0ffee-01_A"
        );
        assert!(ChallengeId::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "a/b", "ａ", "a\n"] {
            assert_eq!(ChallengeId::parse(bad), Err(InvalidChallengeId), "{bad:?}");
        }
        assert_eq!(ChallengeId::parse(&"a".repeat(65)), Err(InvalidChallengeId));
        let challenge = Challenge {
            id: ChallengeId::parse("c1").unwrap(),
            nonce: vec![0xAB; 32],
            valid_seconds: 120,
        };
        let shown = format!("{challenge:?}");
        assert!(
            shown.contains("32 bytes") && !shown.contains("171"),
            "{shown}"
        );
    }

    #[test]
    fn wiping_zeroes_every_date() {
        let mut q = sample();
        q.wipe_dates();
        let zero = Date {
            year: 0,
            month: 0,
            day: 0,
        };
        assert_eq!(q.birthdate, zero);
        assert_eq!(q.valid_from, Some(zero.clone()));
        assert_eq!(q.valid_until, Some(zero.clone()));
        assert_eq!(q.qualified_on, Some(zero.clone()));
        let elderly = q.elderly.as_ref().unwrap();
        assert_eq!(elderly.valid_from, Some(zero.clone()));
        assert_eq!(elderly.valid_until, Some(zero));
    }
}
