//! Qualification records bound to certificates, the lookup rules of the real system, and
//! the demo persons: one per demo card of `tests/pki/cards.txt`, covering every variant of
//! the result screen (manual p.21).

use super::super::model::{
    BackSide, CardClassification, CheckOutcome, Date, ElderlyCertificate, Preschool, Qualification,
    Ratio, Relation, Sex, Validity,
};
use super::super::wire::ErrorCode;
use crate::card::AuthCertificate;

/// The demo card's certificate (TEST-ONLY PKI), the source of the demo issuer DN.
const TARO_CERT_DER: &[u8] = include_bytes!("../../../tests/pki/cards/taro.cert.der");

/// A demo phone's certificate (TEST-ONLY スマホ用 CA), the source of the phone issuer DN.
const ANDROID_CERT_DER: &[u8] = include_bytes!("../../../tests/pki/cards/android.cert.der");

/// The demo holders whose certificates come from the スマホ用 CA (`tests/pki/cards.txt`).
pub const DEMO_PHONES: [&str; 2] = ["android", "iphone"];

/// Serial number of the demo card 資格 太郎 (`tests/pki/cards.txt`).
pub const DEMO_TARO_SERIAL: &str = "0705D990";

/// What the center holds for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The registered validity; a `Valid` record outside its card's validity dates is
    /// answered as `Invalid`.
    pub validity: Validity,
    /// The qualification; `None` for [`Validity::NoQualification`].
    pub qualification: Option<Qualification>,
}

/// A record and the certificate it is bound to.
struct Binding {
    serial_hex: String,
    issuer_der: Vec<u8>,
    record: Record,
}

/// The records, found by certificate serial number + issuer.
#[derive(Default)]
pub(super) struct Records {
    bindings: Vec<Binding>,
    /// Issuers (DER Names) of smartphone certificates: no grace after expiry.
    phone_issuers: Vec<Vec<u8>>,
}

impl Records {
    /// Certificates from `issuer_der` are smartphone certificates (スマホ用電子証明書 of an
    /// Android phone, or an iPhone's): they get no grace period after they expire.
    pub(super) fn add_phone_issuer(&mut self, issuer_der: &[u8]) {
        if !self.phone_issuers.iter().any(|i| i == issuer_der) {
            self.phone_issuers.push(issuer_der.to_vec());
        }
    }

    /// How many records there are.
    pub(super) fn len(&self) -> usize {
        self.bindings.len()
    }

    /// Binds `record` to serial `serial_hex` (any case) from `issuer_der`, replacing any
    /// earlier binding of that certificate.
    pub(super) fn bind(&mut self, serial_hex: &str, issuer_der: &[u8], record: Record) {
        let serial_hex = serial_hex.to_ascii_uppercase();
        self.bindings
            .retain(|b| !(b.serial_hex == serial_hex && b.issuer_der == issuer_der));
        self.bindings.push(Binding {
            serial_hex,
            issuer_der: issuer_der.to_vec(),
            record,
        });
    }

    /// The answer for `certificate` on the day of `now_unix`, as the real system gives it:
    ///
    /// - unknown serial + issuer: [`ErrorCode::UnknownCertificate`];
    /// - past the end of the third month after the month the certificate expired in (its
    ///   grace period for qualification, research/oqs-domain.md §5.2), or for a smartphone
    ///   certificate (no grace, research/phones.md) past its expiry:
    ///   [`ErrorCode::CertificateExpired`];
    /// - from three months before expiry (same day of the month, clamped) until then: the
    ///   answer carries the 付帯情報 (`cert_expiring`);
    /// - 確認日 is today in Japan, and a `Valid` record outside its card's dates is
    ///   answered as `Invalid`.
    pub(super) fn answer(
        &self,
        certificate: &AuthCertificate,
        now_unix: i64,
    ) -> Result<CheckOutcome, ErrorCode> {
        let serial_hex = certificate.serial_hex().to_ascii_uppercase();
        let binding = self
            .bindings
            .iter()
            .find(|b| b.serial_hex == serial_hex && b.issuer_der == certificate.issuer_der())
            .ok_or(ErrorCode::UnknownCertificate)?;
        let today = Date::from_unix_jst(now_unix);
        let expiry = Date::from_unix_jst(certificate.not_after().unix_seconds);
        let phone = self
            .phone_issuers
            .iter()
            .any(|i| i.as_slice() == certificate.issuer_der());
        if phone && now_unix > certificate.not_after().unix_seconds {
            return Err(ErrorCode::CertificateExpired);
        }
        if today > expiry.add_months(3).end_of_month() {
            return Err(ErrorCode::CertificateExpired);
        }
        let cert_expiring = today >= expiry.add_months(-3);
        let record = &binding.record;
        Ok(CheckOutcome {
            validity: effective_validity(record, &today),
            confirmation_date: today,
            cert_expiring,
            qualification: record.qualification.clone(),
        })
    }
}

/// The validity answered on `today`: a `Valid` record is `Invalid` outside its card's dates.
fn effective_validity(record: &Record, today: &Date) -> Validity {
    match (&record.validity, &record.qualification) {
        (Validity::Valid, Some(q)) => {
            let started = q.valid_from.as_ref().is_none_or(|from| from <= today);
            let not_ended = q.valid_until.as_ref().is_none_or(|until| today <= until);
            if started && not_ended {
                Validity::Valid
            } else {
                Validity::Invalid
            }
        }
        (validity, _) => *validity,
    }
}

/// The issuer DN (DER) of the demo cards: the TEST-ONLY demo CA's subject, taken from the
/// demo card's certificate.
pub fn demo_issuer_der() -> Vec<u8> {
    // The certificate is compiled in from tests/pki and the tests parse it, so this cannot
    // fail in a build that passed its tests.
    let certificate = AuthCertificate::from_der(TARO_CERT_DER.to_vec())
        .expect("the committed demo certificate parses");
    certificate.issuer_der().to_vec()
}

/// The issuer DN (DER) of the demo phones: the TEST-ONLY demo スマホ用 CA's subject.
pub fn demo_phone_issuer_der() -> Vec<u8> {
    // Compiled in from tests/pki and parsed by the tests, as for `demo_issuer_der`.
    let certificate = AuthCertificate::from_der(ANDROID_CERT_DER.to_vec())
        .expect("the committed demo phone certificate parses");
    certificate.issuer_der().to_vec()
}

/// A day of the demo data; every literal below is a real day.
fn day(text: &str) -> Date {
    // Only called with the literals of this file, which the tests cover.
    Date::parse_yyyymmdd(text).expect("a valid demo date")
}

/// A ratio of the demo data.
fn ratio(percent: u8) -> Ratio {
    // Only called with multiples of ten up to 100, which `from_percent` always accepts.
    Ratio::from_percent(percent).expect("a valid demo ratio")
}

/// The fields every demo qualification shares: the manual's 限定資格保険組合, 一般, 本人,
/// valid 2025-04-01..2027-03-31 (so that the demo is valid today).
fn person(name: &str, kana: &str, birthdate: &str, sex: Sex, number: &str) -> Qualification {
    Qualification {
        card_classification: CardClassification::Regular,
        insurer_number: "12345678".into(),
        insurer_name: "限定資格保険組合".into(),
        symbol: Some("1234".into()),
        number: number.into(),
        branch: Some("01".into()),
        name_kana: kana.into(),
        name: name.into(),
        birthdate: day(birthdate),
        sex,
        valid_from: Some(day("20250401")),
        valid_until: Some(day("20270331")),
        qualified_on: Some(day("20250401")),
        ratio: Some(ratio(30)),
        relation: Some(Relation::Insured),
        insured_name: None,
        preschool: None,
        back: None,
        elderly: None,
    }
}

/// `base` changed by `change` (Qualification wipes itself on drop, so struct-update
/// syntax cannot move out of it).
fn edit(mut base: Qualification, change: impl FnOnce(&mut Qualification)) -> Qualification {
    change(&mut base);
    base
}

/// A record registered as 有効.
fn valid(qualification: Qualification) -> Record {
    Record {
        validity: Validity::Valid,
        qualification: Some(qualification),
    }
}

/// 資格 太郎: the sample of the app manual's result screen (p.21), with the card's
/// validity moved to 2025-04-01..2027-03-31 so that the demo is valid today.
pub fn demo_taro() -> Record {
    valid(edit(
        person("資格 太郎", "シカク タロウ", "19520101", Sex::Male, "001"),
        |q| {
            q.branch = Some("02".into());
            q.ratio = Some(ratio(10));
        },
    ))
}

/// A 家族 member of 資格 一郎 (manual p.21, 被保険者氏名).
fn demo_family() -> Record {
    valid(edit(
        person("資格 花子", "シカク ハナコ", "19800315", Sex::Female, "001"),
        |q| {
            q.branch = Some("03".into());
            q.relation = Some(Relation::Family);
            q.insured_name = Some("資格 一郎".into());
        },
    ))
}

/// A child before compulsory education (義務教育就学前), 家族 of 資格 一郎, 2割.
fn demo_preschool() -> Record {
    valid(edit(
        person("資格 次郎", "シカク ジロウ", "20220510", Sex::Male, "001"),
        |q| {
            q.branch = Some("04".into());
            q.ratio = Some(ratio(20));
            q.relation = Some(Relation::Family);
            q.insured_name = Some("資格 一郎".into());
            q.preschool = Some(Preschool::BeforeCompulsoryEducation);
            q.qualified_on = Some(day("20220510"));
        },
    ))
}

/// Valid; the card's certificate expires 2027-01-31, so from 2026-10-31 the answer says
/// 「3か月以内に証明書が失効します」. Its 記号/番号 are 全角, kept exactly.
fn demo_expiring() -> Record {
    valid(edit(
        person(
            "期限 近子",
            "キゲン チカコ",
            "19700808",
            Sex::Female,
            "０２８２‐００１",
        ),
        |q| {
            q.insurer_number = "06131239".into();
            q.insurer_name = "デモ健康保険組合".into();
            q.symbol = Some("医国５６７".into());
            q.branch = Some("00".into());
            q.valid_from = Some(day("20260401"));
            q.valid_until = Some(day("20280331"));
            q.qualified_on = Some(day("20260401"));
        },
    ))
}

/// 医療扶助, valid: 証区分 A1; 保険者番号 is the 公費負担者番号 (法別 12, check digit valid),
/// 番号 the 受給者番号 (7 digits, check digit valid), 保険者名 the 福祉事務所.
fn demo_welfare() -> Record {
    valid(edit(
        person(
            "扶助 一子",
            "フジョ イチコ",
            "19600101",
            Sex::Female,
            "1234566",
        ),
        |q| {
            q.card_classification = CardClassification::MedicalAssistance;
            q.insurer_number = "12136016".into();
            q.insurer_name = "デモ市福祉事務所".into();
            q.symbol = None;
            q.branch = None;
            q.valid_from = Some(day("20251001"));
            q.valid_until = None;
            q.qualified_on = Some(day("20251001"));
            q.ratio = None;
            q.relation = None;
        },
    ))
}

/// 裏面記載情報: the back of the card carries another name, its kana and sex (the values of
/// the manual's sample, p.21).
fn demo_backside() -> Record {
    valid(edit(
        person(
            "他資格 太郎",
            "タシカク タロウ",
            "19850420",
            Sex::Male,
            "002",
        ),
        |q| {
            q.back = Some(BackSide {
                name_kana: Some("シカク タロウ".into()),
                name: Some("他資格 太郎".into()),
                sex: Some(Sex::Male),
            });
        },
    ))
}

/// 高齢受給者証 (70 to 74), 2割, with 協会けんぽ.
fn demo_elderly() -> Record {
    valid(edit(
        person(
            "高齢 一郎",
            "コウレイ イチロウ",
            "19540301",
            Sex::Male,
            "45",
        ),
        |q| {
            q.insurer_number = "01130012".into();
            q.insurer_name = "全国健康保険協会　東京支部".into();
            q.symbol = Some("７０１０２０３".into());
            q.branch = Some("00".into());
            q.ratio = None;
            q.elderly = Some(ElderlyCertificate {
                valid_from: Some(day("20260801")),
                valid_until: Some(day("20270731")),
                ratio: ratio(20),
            });
        },
    ))
}

/// この資格は無効です: registered as 無効 (lost on 2026-03-31).
fn demo_invalid() -> Record {
    Record {
        validity: Validity::Invalid,
        qualification: Some(edit(
            person("無効 三郎", "ムコウ サブロウ", "19901111", Sex::Male, "003"),
            |q| {
                q.valid_from = Some(day("20240401"));
                q.valid_until = Some(day("20260331"));
                q.qualified_on = Some(day("20240401"));
            },
        )),
    }
}

/// 該当資格なし: the certificate is known, no qualification matches.
fn demo_unqualified() -> Record {
    Record {
        validity: Validity::NoQualification,
        qualification: None,
    }
}

/// 無効 + 医療扶助: public assistance that ended on 2026-03-31.
fn demo_invalid_welfare() -> Record {
    Record {
        validity: Validity::Invalid,
        qualification: Some(edit(
            person(
                "扶助 二郎",
                "フジョ ジロウ",
                "19580202",
                Sex::Male,
                "7654320",
            ),
            |q| {
                q.card_classification = CardClassification::MedicalAssistance;
                q.insurer_number = "12136024".into();
                q.insurer_name = "デモ市福祉事務所".into();
                q.symbol = None;
                q.branch = None;
                q.valid_from = Some(day("20240401"));
                q.valid_until = Some(day("20260331"));
                q.qualified_on = Some(day("20240401"));
                q.ratio = None;
                q.relation = None;
            },
        )),
    }
}

/// Every demo card of `tests/pki/cards.txt` with its serial and its record.
pub fn demo_records() -> Vec<(&'static str, &'static str, Record)> {
    vec![
        ("taro", DEMO_TARO_SERIAL, demo_taro()),
        ("family", "0705D991", demo_family()),
        ("preschool", "0705D992", demo_preschool()),
        ("expiring", "0705D993", demo_expiring()),
        ("welfare", "0705D994", demo_welfare()),
        ("backside", "0705D995", demo_backside()),
        ("elderly", "0705D996", demo_elderly()),
        ("invalid", "0705D997", demo_invalid()),
        ("unqualified", "0705D998", demo_unqualified()),
        ("invalid-welfare", "0705D999", demo_invalid_welfare()),
        // The PIN-locked and one-try cards are ordinary persons: the card handles the PIN.
        (
            "locked",
            "0705D99A",
            valid(person(
                "鍵掛 四郎",
                "カギカケ シロウ",
                "19750707",
                Sex::Male,
                "004",
            )),
        ),
        (
            "one-try",
            "0705D99B",
            valid(person(
                "残一 五郎",
                "ザンイチ ゴロウ",
                "19800505",
                Sex::Male,
                "005",
            )),
        ),
        // The record exists; the card's expired certificate is what the center refuses.
        (
            "expired",
            "0705D99C",
            valid(person(
                "失効 六子",
                "シッコウ ロクコ",
                "19880606",
                Sex::Female,
                "006",
            )),
        ),
        // 顔認証マイナンバーカード: an ordinary person; the card has no usable PIN.
        (
            "face",
            "0705D99D",
            valid(person(
                "顔認 七子",
                "カオニン ナナコ",
                "19450303",
                Sex::Female,
                "007",
            )),
        ),
        // Smartphones (スマホ用 CA): the same person as a card would be.
        (
            "android",
            "0805D9A0",
            valid(person(
                "端末 八郎",
                "タンマツ ハチロウ",
                "19920808",
                Sex::Male,
                "008",
            )),
        ),
        (
            "iphone",
            "0805D9A1",
            valid(person(
                "端末 九子",
                "タンマツ キュウコ",
                "19990909",
                Sex::Female,
                "009",
            )),
        ),
    ]
}
