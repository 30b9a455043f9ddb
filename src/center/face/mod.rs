//! The official face-folder result file (`OQSsiquc01res_face_<id>_<yyyyMMddHHmmss>.xml`) that
//! receipt software (レセコン) imports: a [`CheckOutcome`] mapped 1:1 onto the layout of
//! 別紙3-1 as public readers of real files know it (shared/research/result-xml.md).
//!
//! No IO: the bytes are built here; `shell::export` writes them. Optional elements are left
//! out when absent (never written empty), codes come from the model's official tables, a
//! 6-digit 国保 insurer number is right-aligned to 8 characters, and kana is half-width as
//! real files carry it.

pub mod cp932;

use core::fmt::Write as _;

use crate::center::model::{CheckOutcome, Date, Qualification};
use crate::center::wire::NOTICE_CERT_EXPIRING;
use crate::sensitive::{wipe_vec, SensitiveText};

/// The accepted file-name prefix (MynaReception, OQSDrug2).
pub const FILE_PREFIX: &str = "OQSsiquc01res_face_";

/// Our own unique ids start with this, so retention can tell our files from anyone else's.
pub const OWN_ID_PREFIX: &str = "MK";

/// How the file is encoded (`export_encoding=` in config.txt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaceEncoding {
    /// CP932 bytes, declared `Shift_JIS`, CharacterCodeIdentifier `1` (the default).
    #[default]
    ShiftJis,
    /// UTF-8, declared so, CharacterCodeIdentifier `0`.
    Utf8,
}

impl FaceEncoding {
    /// The config value (`shift_jis` or `utf-8`).
    pub fn parse(value: &str) -> Option<FaceEncoding> {
        match value {
            "shift_jis" => Some(FaceEncoding::ShiftJis),
            "utf-8" => Some(FaceEncoding::Utf8),
            _ => None,
        }
    }

    /// CharacterCodeIdentifier (OQSCD005).
    pub fn code(self) -> &'static str {
        match self {
            FaceEncoding::ShiftJis => "1",
            FaceEncoding::Utf8 => "0",
        }
    }

    fn declaration(self) -> &'static str {
        match self {
            FaceEncoding::ShiftJis => "Shift_JIS",
            FaceEncoding::Utf8 => "UTF-8",
        }
    }
}

/// A moment in Japan time, to the second: ProcessExecutionTime and the file name's stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    date: Date,
    second_of_day: u32,
}

impl Stamp {
    /// The moment `unix_seconds` in Japan (UTC+9).
    pub fn from_unix_jst(unix_seconds: i64) -> Stamp {
        let jst = unix_seconds.saturating_add(9 * 3600);
        // rem_euclid by 86 400 is in 0..86 400, which fits a u32.
        let second_of_day = jst.rem_euclid(86_400) as u32;
        Stamp {
            date: Date::from_unix_jst(unix_seconds),
            second_of_day,
        }
    }

    /// `yyyyMMddHHmmss`.
    pub fn compact(&self) -> String {
        let s = self.second_of_day;
        format!(
            "{}{:02}{:02}{:02}",
            self.date.to_yyyymmdd(),
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// The file name for our unique id `serial` (any digits) at `stamp`:
/// `OQSsiquc01res_face_MK<institution code><serial>_<yyyyMMddHHmmss>.xml`.
pub fn file_name(institution_code: &str, serial: &str, stamp: &Stamp) -> String {
    format!(
        "{FILE_PREFIX}{OWN_ID_PREFIX}{institution_code}{serial}_{}.xml",
        stamp.compact()
    )
}

/// Whether `name` is one of the files this kiosk writes (final or temporary): what retention
/// may remove. Anything else in the folder is never touched.
pub fn is_own_file(name: &str) -> bool {
    let body = match name.strip_suffix(TEMP_SUFFIX) {
        Some(temp) => match temp.strip_prefix('.') {
            Some(body) => body,
            None => return false,
        },
        None => name,
    };
    let Some(rest) = body
        .strip_prefix(FILE_PREFIX)
        .and_then(|r| r.strip_prefix(OWN_ID_PREFIX))
        .and_then(|r| r.strip_suffix(".xml"))
    else {
        return false;
    };
    let Some((id, stamp)) = rest.rsplit_once('_') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(id) && stamp.len() == 14 && digits(stamp)
}

/// Suffix of the temporary name a file is written under before its rename (with a leading
/// `.`): never matched by a reader that waits for `*.xml`.
pub const TEMP_SUFFIX: &str = ".part";

/// The temporary name for final name `name`.
pub fn temp_name(name: &str) -> String {
    format!(".{name}{TEMP_SUFFIX}")
}

/// One face file's bytes (patient data: wiped on drop) and how many characters the encoding
/// could not hold (each written as a numeric character reference).
pub struct FaceXml {
    bytes: Vec<u8>,
    /// Characters written as `&#N;` because CP932 has no code for them.
    pub unmappable: usize,
}

impl FaceXml {
    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for FaceXml {
    fn drop(&mut self) {
        wipe_vec(&mut self.bytes);
    }
}

impl core::fmt::Debug for FaceXml {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "FaceXml(<{} bytes>)", self.bytes.len())
    }
}

/// The face file for `outcome`, checked at `stamp` by the institution `institution_code`.
pub fn render(
    outcome: &CheckOutcome,
    institution_code: &str,
    stamp: &Stamp,
    encoding: FaceEncoding,
) -> FaceXml {
    let mut x = Xml {
        // Room for a whole file, so that no reallocation leaves a copy of patient data behind.
        text: String::with_capacity(4096),
        depth: 0,
    };
    x.raw(&format!(
        "<?xml version=\"1.0\" encoding=\"{}\" standalone=\"no\"?>\r\n",
        encoding.declaration()
    ));
    x.open("XmlMsg");
    x.open("MessageHeader");
    x.el("ProcessExecutionTime", &stamp.compact());
    x.el(
        "QualificationConfirmationDate",
        &outcome.confirmation_date.to_yyyymmdd(),
    );
    x.el("MedicalInstitutionCode", institution_code);
    // OQSCD002: 1 マイナンバーカード (every check of this kiosk reads the card).
    x.el("ReferenceClassification", "1");
    // OQSCD003: 1 正常終了 (a file is written only for an answer that reached the screen).
    x.el("SegmentOfResult", "1");
    x.el("CharacterCodeIdentifier", encoding.code());
    x.close("MessageHeader");
    x.open("MessageBody");
    // OQSCD004: 1 正常終了.
    x.el("ProcessingResultStatus", "1");
    if outcome.cert_expiring {
        x.el("ProcessingResultCode", NOTICE_CERT_EXPIRING);
    }
    x.el("QualificationValidity", outcome.validity.code());
    if let Some(q) = &outcome.qualification {
        x.open("ResultList");
        x.open("ResultOfQualificationConfirmation");
        result(&mut x, q);
        x.close("ResultOfQualificationConfirmation");
        x.close("ResultList");
    }
    x.close("MessageBody");
    x.close("XmlMsg");
    x.finish(encoding)
}

/// The fields of one ResultOfQualificationConfirmation, in 別紙3-1 order.
fn result(x: &mut Xml, q: &Qualification) {
    let text = |t: &Option<SensitiveText>| t.as_ref().map(|t| t.expose().to_owned());
    let date = |d: &Option<Date>| d.as_ref().map(Date::to_yyyymmdd);
    x.el("InsuredCardClassification", q.card_classification.code());
    x.el("InsurerNumber", &insurer_number(q.insurer_number.expose()));
    x.opt("InsuredCardSymbol", text(&q.symbol));
    x.el("InsuredIdentificationNumber", q.number.expose());
    x.opt("InsuredBranchNumber", text(&q.branch));
    x.opt(
        "PersonalFamilyClassification",
        q.relation.map(|r| r.code().to_owned()),
    );
    x.opt("InsuredName", text(&q.insured_name));
    x.el("Name", q.name.expose());
    let back = q.back.as_ref();
    x.opt("NameOfOther", back.and_then(|b| text(&b.name)));
    x.el("NameKana", &half_width_kana(q.name_kana.expose()));
    x.opt(
        "NameOfOtherKana",
        back.and_then(|b| b.name_kana.as_ref())
            .map(|k| half_width_kana(k.expose())),
    );
    x.el("Sex1", q.sex.code());
    x.opt(
        "Sex2",
        back.and_then(|b| b.sex).map(|s| s.code().to_owned()),
    );
    x.el("Birthdate", &q.birthdate.to_yyyymmdd());
    x.opt("QualificationDate", date(&q.qualified_on));
    x.opt("InsuredCardValidDate", date(&q.valid_from));
    x.opt("InsuredCardExpirationDate", date(&q.valid_until));
    x.opt("InsuredPartialContributionRatio", q.ratio.map(|r| r.code()));
    x.opt(
        "PreschoolClassification",
        q.preschool.map(|p| p.code().to_owned()),
    );
    x.el("InsurerName", q.insurer_name.expose());
    if let Some(e) = &q.elderly {
        x.open("ElderlyRecipientCertificateInfo");
        x.opt("ElderlyRecipientValidStartDate", date(&e.valid_from));
        x.opt("ElderlyRecipientValidEndDate", date(&e.valid_until));
        x.el("ElderlyRecipientContributionRatio", &e.ratio.code());
        x.close("ElderlyRecipientCertificateInfo");
    }
}

/// InsurerNumber as real files carry it: 8 characters, a 6-digit 国保 number right-aligned
/// with two half-width spaces.
pub fn insurer_number(number: &str) -> String {
    let digits = number.trim_start_matches(' ');
    if digits.len() == 6 {
        format!("  {digits}")
    } else {
        number.to_owned()
    }
}

/// Full-width katakana (U+30A1..=U+30F6) as half-width, in order; a voiced or semi-voiced
/// sound becomes its base plus ﾞ or ﾟ.
const HALF_KATAKANA: [&str; 86] = [
    "ｧ", "ｱ", "ｨ", "ｲ", "ｩ", "ｳ", "ｪ", "ｴ", "ｫ", "ｵ", "ｶ", "ｶﾞ", "ｷ", "ｷﾞ", "ｸ", "ｸﾞ", "ｹ", "ｹﾞ", "ｺ",
    "ｺﾞ", "ｻ", "ｻﾞ", "ｼ", "ｼﾞ", "ｽ", "ｽﾞ", "ｾ", "ｾﾞ", "ｿ", "ｿﾞ", "ﾀ", "ﾀﾞ", "ﾁ", "ﾁﾞ", "ｯ", "ﾂ", "ﾂﾞ", "ﾃ",
    "ﾃﾞ", "ﾄ", "ﾄﾞ", "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", "ﾊ", "ﾊﾞ", "ﾊﾟ", "ﾋ", "ﾋﾞ", "ﾋﾟ", "ﾌ", "ﾌﾞ", "ﾌﾟ", "ﾍ", "ﾍﾞ",
    "ﾍﾟ", "ﾎ", "ﾎﾞ", "ﾎﾟ", "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", "ｬ", "ﾔ", "ｭ", "ﾕ", "ｮ", "ﾖ", "ﾗ", "ﾘ", "ﾙ", "ﾚ",
    "ﾛ", "ﾜ", "ﾜ", "ｲ", "ｴ", "ｦ", "ﾝ", "ｳﾞ", "ｶ", "ｹ",
];

/// NameKana as real files carry it: half-width katakana with a half-width space
/// (「シカク　タロウ」 → 「ｼｶｸ ﾀﾛｳ」). Hiragana is taken as katakana; full-width ASCII
/// becomes ASCII; anything else stays as given.
pub fn half_width_kana(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let cp = u32::from(c);
        let katakana = match cp {
            0x30A1..=0x30F6 => Some(cp - 0x30A1),
            0x3041..=0x3096 => Some(cp - 0x3041),
            _ => None,
        };
        if let Some(i) = katakana {
            // i < 86 by the ranges above.
            out.push_str(HALF_KATAKANA[i as usize]);
            continue;
        }
        match c {
            '\u{3000}' => out.push(' '),
            'ー' => out.push('ｰ'),
            '・' => out.push('･'),
            '゛' => out.push('ﾞ'),
            '゜' => out.push('ﾟ'),
            '「' => out.push('｢'),
            '」' => out.push('｣'),
            '。' => out.push('｡'),
            '、' => out.push('､'),
            // Full-width ASCII (！..～) is ASCII shifted by 0xFEE0.
            '\u{FF01}'..='\u{FF5E}' => out.push(char::from_u32(cp - 0xFEE0).unwrap_or(c)),
            other => out.push(other),
        }
    }
    out
}

/// An XML document being written: indentation of two spaces, CRLF line ends (as the files
/// real terminals write), text escaped.
struct Xml {
    text: String,
    depth: usize,
}

impl Xml {
    fn raw(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
    }

    fn open(&mut self, name: &str) {
        self.indent();
        let _ = write!(self.text, "<{name}>\r\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = write!(self.text, "</{name}>\r\n");
    }

    fn el(&mut self, name: &str, value: &str) {
        self.indent();
        let _ = write!(self.text, "<{name}>");
        escape_into(value, &mut self.text);
        let _ = write!(self.text, "</{name}>\r\n");
    }

    fn opt(&mut self, name: &str, value: Option<String>) {
        if let Some(mut value) = value {
            self.el(name, &value);
            // The copy held patient data.
            let mut bytes = core::mem::take(&mut value).into_bytes();
            wipe_vec(&mut bytes);
        }
    }

    fn finish(self, encoding: FaceEncoding) -> FaceXml {
        let mut text = self.text.into_bytes();
        let out = match encoding {
            FaceEncoding::Utf8 => FaceXml {
                bytes: core::mem::take(&mut text),
                unmappable: 0,
            },
            FaceEncoding::ShiftJis => {
                let mut bytes = Vec::with_capacity(text.len());
                // `text` came from a String, so it is UTF-8.
                let s = core::str::from_utf8(&text).unwrap_or_default();
                let unmappable = cp932::encode_into(s, &mut bytes, |c, out| {
                    out.extend_from_slice(format!("&#{};", u32::from(c)).as_bytes());
                });
                FaceXml { bytes, unmappable }
            }
        };
        wipe_vec(&mut text);
        out
    }
}

/// `value` as XML character data (the five predefined entities).
fn escape_into(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests;
