//! The user-authentication certificate (JPKI "auth" certificate) as the kiosk needs it: a
//! strict, minimal DER reader and the handful of X.509 fields the center and the UI use.
//!
//! Only the outer structure is checked (every TLV well-formed, lengths minimal, no trailing
//! bytes, the fields in X.509 order); the signature is not verified here.

use core::fmt;
use core::ops::Range;

/// Why bytes are not a well-formed certificate, grouped by the kind of defect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertError {
    /// The bytes end before a header or content that they announce.
    Truncated,
    /// A field has another tag than X.509 puts there (or a multi-byte tag).
    UnexpectedTag,
    /// A length is indefinite, not in minimal form, or too large.
    BadLength,
    /// The serial number is empty, negative or not minimally encoded.
    BadSerial,
    /// A validity time is not `YYMMDDHHMMSSZ` / `YYYYMMDDHHMMSSZ` or not a real date.
    BadTime,
    /// Bytes follow the certificate (or a field) where none may be.
    TrailingData,
}

/// A point in time in UTC, as whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    /// Seconds since the Unix epoch (negative before 1970).
    pub unix_seconds: i64,
}

/// A parsed user-authentication certificate: the DER bytes plus where its fields lie.
///
/// Debug prints only the serial number and the length: the rest identifies the card.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthCertificate {
    der: Vec<u8>,
    serial: Range<usize>,
    issuer: Range<usize>,
    spki: Range<usize>,
    not_before: UtcTime,
    not_after: UtcTime,
}

impl AuthCertificate {
    /// Parses an X.509 certificate; `der` must hold exactly one certificate, nothing after it.
    pub fn from_der(der: Vec<u8>) -> Result<Self, CertError> {
        let mut outer = DerReader::new(&der);
        let certificate = outer.take(TAG_SEQUENCE)?;
        outer.finish()?;

        let mut cert = outer.inside(&certificate);
        let tbs = cert.take(TAG_SEQUENCE)?;
        cert.take(TAG_SEQUENCE)?; // signatureAlgorithm
        cert.take(TAG_BIT_STRING)?; // signatureValue
        cert.finish()?;

        let mut fields = cert.inside(&tbs);
        if let Some(version) = fields.optional(TAG_VERSION)? {
            let mut inner = fields.inside(&version);
            inner.take(TAG_INTEGER)?;
            inner.finish()?;
        }
        let serial = serial_content(&der, fields.take(TAG_INTEGER)?.content)?;
        fields.take(TAG_SEQUENCE)?; // signature (algorithm)
        let issuer = fields.take(TAG_SEQUENCE)?.whole();
        let validity = fields.take(TAG_SEQUENCE)?;
        fields.take(TAG_SEQUENCE)?; // subject
        let spki = fields.take(TAG_SEQUENCE)?.whole();
        fields.optional(TAG_ISSUER_UID)?;
        fields.optional(TAG_SUBJECT_UID)?;
        fields.optional(TAG_EXTENSIONS)?;
        fields.finish()?;

        let mut times = fields.inside(&validity);
        let not_before = times.time()?;
        let not_after = times.time()?;
        times.finish()?;

        Ok(Self {
            der,
            serial,
            issuer,
            spki,
            not_before,
            not_after,
        })
    }

    /// The whole certificate, exactly as read from the card.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The serial number (the issue number the center binds to the insured person) as
    /// big-endian bytes, without a leading 0x00 sign byte.
    pub fn serial(&self) -> &[u8] {
        &self.der[self.serial.clone()]
    }

    /// The serial number in upper-case hex, e.g. `0705D990`.
    pub fn serial_hex(&self) -> String {
        self.serial().iter().map(|b| format!("{b:02X}")).collect()
    }

    /// The issuer Name, tag and length included (the DER to compare with a CA's subject).
    pub fn issuer_der(&self) -> &[u8] {
        &self.der[self.issuer.clone()]
    }

    /// The start of the validity period.
    pub fn not_before(&self) -> UtcTime {
        self.not_before
    }

    /// The end of the validity period (inclusive).
    pub fn not_after(&self) -> UtcTime {
        self.not_after
    }

    /// The SubjectPublicKeyInfo, tag and length included, for signature checks.
    pub fn subject_public_key_info(&self) -> &[u8] {
        &self.der[self.spki.clone()]
    }

    /// The subjectPublicKey BIT STRING's content without its unused-bits byte: for an RSA
    /// key, the `RSAPublicKey` DER that ring's RSA verification takes. `None` if the
    /// SubjectPublicKeyInfo is not an algorithm and a whole-byte BIT STRING.
    pub fn subject_public_key(&self) -> Option<&[u8]> {
        let mut outer = DerReader::new(&self.der);
        outer.pos = self.spki.start;
        outer.end = self.spki.end;
        let spki = outer.take(TAG_SEQUENCE).ok()?;
        let mut fields = outer.inside(&spki);
        fields.take(TAG_SEQUENCE).ok()?; // algorithm
        let key = fields.take(TAG_BIT_STRING).ok()?;
        fields.finish().ok()?;
        match &self.der[key.content] {
            [0x00, bits @ ..] if !bits.is_empty() => Some(bits),
            _ => None,
        }
    }
}

/// The modulus n and private exponent d (big-endian, as DER INTEGER contents) of an RSA key
/// in an unencrypted PKCS#8 `PrivateKeyInfo` (RFC 5208, RSAPrivateKey of RFC 8017).
#[cfg(feature = "demo")]
pub(crate) fn rsa_private_key(pkcs8: &[u8]) -> Result<(&[u8], &[u8]), CertError> {
    /// rsaEncryption, 1.2.840.113549.1.1.1.
    const RSA_ENCRYPTION: [u8; 9] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    const TAG_OCTET_STRING: u8 = 0x04;
    const TAG_OID: u8 = 0x06;
    const TAG_ATTRIBUTES: u8 = 0xA0;

    let mut outer = DerReader::new(pkcs8);
    let info = outer.take(TAG_SEQUENCE)?;
    outer.finish()?;
    let mut fields = outer.inside(&info);
    fields.take(TAG_INTEGER)?; // version
    let algorithm = fields.take(TAG_SEQUENCE)?;
    let private_key = fields.take(TAG_OCTET_STRING)?;
    fields.optional(TAG_ATTRIBUTES)?;
    fields.finish()?;
    let mut algorithm = fields.inside(&algorithm);
    if pkcs8[algorithm.take(TAG_OID)?.content] != RSA_ENCRYPTION {
        return Err(CertError::UnexpectedTag);
    }

    let mut octets = fields.inside(&private_key);
    let key = octets.take(TAG_SEQUENCE)?;
    octets.finish()?;
    let mut numbers = octets.inside(&key);
    numbers.take(TAG_INTEGER)?; // version
    let n = numbers.take(TAG_INTEGER)?.content;
    numbers.take(TAG_INTEGER)?; // publicExponent
    let d = numbers.take(TAG_INTEGER)?.content;
    Ok((&pkcs8[n], &pkcs8[d]))
}

impl fmt::Debug for AuthCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthCertificate {{ serial: {}, {} bytes }}",
            self.serial_hex(),
            self.der.len()
        )
    }
}

/// The total length (header and content) of the DER object that `header` starts with, or
/// `None` if `header` does not start with a complete, minimal DER header.
///
/// Reads `30 82 LL LL` as well as the short (`30 LL`) and `81` forms; only the header
/// bytes need to be present, so the JPKI read can size the certificate from its first chunk.
pub fn der_total_len(header: &[u8]) -> Option<usize> {
    let h = parse_header(header).ok()?;
    h.header_len.checked_add(h.content_len)
}

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_UTC_TIME: u8 = 0x17;
const TAG_GENERALIZED_TIME: u8 = 0x18;
const TAG_SEQUENCE: u8 = 0x30;
/// `[0] EXPLICIT Version`
const TAG_VERSION: u8 = 0xA0;
/// `[1] IMPLICIT UniqueIdentifier`
const TAG_ISSUER_UID: u8 = 0x81;
/// `[2] IMPLICIT UniqueIdentifier`
const TAG_SUBJECT_UID: u8 = 0x82;
/// `[3] EXPLICIT Extensions`
const TAG_EXTENSIONS: u8 = 0xA3;

/// A DER header: the tag and where the content starts and how long it is.
struct Header {
    tag: u8,
    header_len: usize,
    content_len: usize,
}

/// Parses the tag and length at the start of `bytes` (single-byte tags, definite minimal
/// lengths of up to four bytes).
fn parse_header(bytes: &[u8]) -> Result<Header, CertError> {
    let (&tag, rest) = bytes.split_first().ok_or(CertError::Truncated)?;
    if tag & 0x1F == 0x1F {
        return Err(CertError::UnexpectedTag);
    }
    let (&first, rest) = rest.split_first().ok_or(CertError::Truncated)?;
    if first < 0x80 {
        return Ok(Header {
            tag,
            header_len: 2,
            content_len: usize::from(first),
        });
    }
    let count = usize::from(first & 0x7F);
    if count == 0 || count > 4 {
        return Err(CertError::BadLength);
    }
    let digits = rest.get(..count).ok_or(CertError::Truncated)?;
    if digits[0] == 0 {
        return Err(CertError::BadLength);
    }
    let len = digits.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    if len < 0x80 {
        return Err(CertError::BadLength);
    }
    let content_len = usize::try_from(len).map_err(|_| CertError::BadLength)?;
    Ok(Header {
        tag,
        header_len: 2 + count,
        content_len,
    })
}

/// One TLV inside the buffer being read, by absolute offsets.
struct Tlv {
    start: usize,
    content: Range<usize>,
}

impl Tlv {
    /// Tag, length and content.
    fn whole(&self) -> Range<usize> {
        self.start..self.content.end
    }
}

/// Reads consecutive TLVs from `buf[pos..end]`; offsets stay absolute so the certificate
/// can keep ranges into its own bytes.
struct DerReader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> DerReader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            end: buf.len(),
        }
    }

    /// A reader over the content of `tlv`, which this reader returned.
    fn inside(&self, tlv: &Tlv) -> DerReader<'a> {
        DerReader {
            buf: self.buf,
            pos: tlv.content.start,
            end: tlv.content.end,
        }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.buf[self.pos..self.end].first().copied()
    }

    fn next(&mut self) -> Result<(u8, Tlv), CertError> {
        let rest = &self.buf[self.pos..self.end];
        let h = parse_header(rest)?;
        if h.content_len > rest.len() - h.header_len {
            return Err(CertError::Truncated);
        }
        let start = self.pos;
        let content_start = start + h.header_len;
        self.pos = content_start + h.content_len;
        Ok((
            h.tag,
            Tlv {
                start,
                content: content_start..self.pos,
            },
        ))
    }

    fn take(&mut self, tag: u8) -> Result<Tlv, CertError> {
        match self.next()? {
            (t, tlv) if t == tag => Ok(tlv),
            _ => Err(CertError::UnexpectedTag),
        }
    }

    fn optional(&mut self, tag: u8) -> Result<Option<Tlv>, CertError> {
        if self.peek_tag() == Some(tag) {
            self.take(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A UTCTime or GeneralizedTime.
    fn time(&mut self) -> Result<UtcTime, CertError> {
        let (tag, tlv) = self.next()?;
        let text = &self.buf[tlv.content];
        match tag {
            TAG_UTC_TIME => parse_time(text, false),
            TAG_GENERALIZED_TIME => parse_time(text, true),
            _ => Err(CertError::UnexpectedTag),
        }
    }

    fn finish(&self) -> Result<(), CertError> {
        if self.pos == self.end {
            Ok(())
        } else {
            Err(CertError::TrailingData)
        }
    }
}

/// The serial number's content range without its sign byte; rejects empty, negative and
/// non-minimal integers (RFC 5280 serials are positive).
fn serial_content(der: &[u8], content: Range<usize>) -> Result<Range<usize>, CertError> {
    match der[content.clone()] {
        [] => Err(CertError::BadSerial),
        [b, ..] if b & 0x80 != 0 => Err(CertError::BadSerial),
        [0x00, b, ..] if b & 0x80 == 0 => Err(CertError::BadSerial),
        [0x00, _, ..] => Ok(content.start + 1..content.end),
        _ => Ok(content),
    }
}

/// Parses `YYMMDDHHMMSSZ` (UTCTime, years 1950–2049 per RFC 5280) or `YYYYMMDDHHMMSSZ`
/// (GeneralizedTime); DER allows no fractions and no offsets other than `Z`.
fn parse_time(text: &[u8], four_digit_year: bool) -> Result<UtcTime, CertError> {
    let (digits, zone) = text
        .split_last()
        .map(|(z, d)| (d, *z))
        .ok_or(CertError::BadTime)?;
    let year_len = if four_digit_year { 4 } else { 2 };
    if zone != b'Z' || digits.len() != year_len + 10 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(CertError::BadTime);
    }
    let num = |r: Range<usize>| {
        digits[r]
            .iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
    };
    let year = match num(0..year_len) {
        y if four_digit_year => y,
        y if y >= 50 => 1900 + y,
        y => 2000 + y,
    };
    let at = |i: usize| num(year_len + 2 * i..year_len + 2 * i + 2);
    let (month, day, hour, minute, second) = (at(0), at(1), at(2), at(3), at(4));
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(CertError::BadTime);
    }
    let days = days_from_civil(year, month, day);
    Ok(UtcTime {
        unix_seconds: days * 86_400 + hour * 3_600 + minute * 60 + second,
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARO: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");
    const CA: &[u8] = include_bytes!("../../tests/pki/ca.cert.der");

    fn taro() -> AuthCertificate {
        AuthCertificate::from_der(TARO.to_vec()).expect("the demo certificate parses")
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn reads_the_serial_number() {
        let cert = taro();
        assert_eq!(cert.serial(), [0x07, 0x05, 0xD9, 0x90]);
        assert_eq!(cert.serial_hex(), "0705D990");
    }

    #[test]
    fn keeps_the_exact_der() {
        assert_eq!(taro().der(), TARO);
    }

    #[test]
    fn issuer_is_the_whole_name_and_matches_the_ca_subject() {
        let cert = taro();
        let issuer = cert.issuer_der();
        assert_eq!(issuer[0], 0x30);
        assert_eq!(der_total_len(issuer), Some(issuer.len()));
        assert!(contains(issuer, b"JPKI for user authentication"));
        assert!(contains(
            issuer,
            b"Japan Agency for Local Authority Information Systems"
        ));
        assert!(contains(issuer, b"DEMO TEST ONLY"));
        // The CA is self-signed, so its issuer is its subject: the Name taro's issuer names.
        let ca = AuthCertificate::from_der(CA.to_vec()).expect("the demo CA parses");
        assert_eq!(ca.issuer_der(), issuer);
    }

    #[test]
    fn reads_the_validity_period() {
        let cert = taro();
        assert_eq!(
            cert.not_before(),
            UtcTime {
                unix_seconds: 1_705_881_600
            }
        );
        // 2034-12-25T14:59:59Z
        assert_eq!(
            cert.not_after(),
            UtcTime {
                unix_seconds: 2_050_671_599
            }
        );
    }

    #[test]
    fn subject_public_key_info_is_the_rsa_2048_spki() {
        let spki = taro().subject_public_key_info().to_vec();
        assert_eq!(spki.len(), 294);
        assert_eq!(spki[..4], [0x30, 0x82, 0x01, 0x22]);
        // rsaEncryption OID 1.2.840.113549.1.1.1
        assert!(contains(
            &spki,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
        ));
    }

    #[test]
    fn subject_public_key_is_the_rsa_public_key_der() {
        let cert = taro();
        let spki = cert.subject_public_key_info();
        let key = cert.subject_public_key().expect("a whole-byte BIT STRING");
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER (257 bytes with its sign byte), e }
        assert_eq!(key[..4], [0x30, 0x82, 0x01, 0x0A]);
        assert_eq!(der_total_len(key), Some(key.len()));
        assert_eq!(key.len(), 270);
        assert!(spki.ends_with(key), "the BIT STRING closes the SPKI");
        assert_eq!(spki[spki.len() - key.len() - 1], 0x00, "no unused bits");
    }

    #[cfg(feature = "demo")]
    #[test]
    fn reads_n_and_d_of_a_pkcs8_rsa_key() {
        const KEY: &[u8] = include_bytes!("../../tests/pki/cards/taro.key.pk8");
        let (n, d) = rsa_private_key(KEY).expect("the demo key parses");
        assert_eq!(n.len(), 257, "2048-bit modulus with its sign byte");
        assert_eq!(n[0], 0x00);
        // The certificate's modulus is the key's.
        let public = taro().subject_public_key().map(<[u8]>::to_vec);
        let public = public.expect("rsa key");
        assert!(public.windows(n.len()).any(|w| w == n));
        assert!(d.len() >= 255 && d.len() <= 257, "{}", d.len());
        for len in [0, 10, KEY.len() - 1] {
            assert!(rsa_private_key(&KEY[..len]).is_err(), "prefix {len}");
        }
        assert_eq!(rsa_private_key(TARO).err(), Some(CertError::UnexpectedTag));
    }

    #[test]
    fn debug_shows_serial_and_length_only() {
        let shown = format!("{:?}", taro());
        assert_eq!(shown, "AuthCertificate { serial: 0705D990, 938 bytes }");
    }

    #[test]
    fn every_truncation_is_an_error() {
        for len in 0..TARO.len() {
            assert!(
                AuthCertificate::from_der(TARO[..len].to_vec()).is_err(),
                "prefix {len}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut der = TARO.to_vec();
        der.push(0x00);
        assert_eq!(AuthCertificate::from_der(der), Err(CertError::TrailingData));
    }

    #[test]
    fn a_non_sequence_is_rejected() {
        let mut der = TARO.to_vec();
        der[0] = 0x31;
        assert_eq!(
            AuthCertificate::from_der(der),
            Err(CertError::UnexpectedTag)
        );
    }

    #[test]
    fn a_field_out_of_place_is_rejected() {
        let mut der = TARO.to_vec();
        // The serial INTEGER (after the 4-byte outer, 4-byte TBS and 5-byte version TLVs).
        assert_eq!(der[13], TAG_INTEGER);
        der[13] = 0x04;
        assert_eq!(
            AuthCertificate::from_der(der),
            Err(CertError::UnexpectedTag)
        );
    }

    #[test]
    fn a_bad_date_is_rejected() {
        let mut der = TARO.to_vec();
        let at = TARO
            .windows(13)
            .position(|w| w == b"240122000000Z")
            .expect("notBefore");
        der[at + 2] = b'1';
        der[at + 3] = b'3'; // month 13
        assert_eq!(AuthCertificate::from_der(der), Err(CertError::BadTime));
    }

    #[test]
    fn der_total_len_reads_every_length_form() {
        assert_eq!(der_total_len(&TARO[..4]), Some(TARO.len()));
        assert_eq!(der_total_len(&[0x30, 0x82, 0x03, 0xA6]), Some(938));
        assert_eq!(der_total_len(&[0x30, 0x05]), Some(7));
        assert_eq!(der_total_len(&[0x30, 0x00]), Some(2));
        assert_eq!(der_total_len(&[0x30, 0x81, 0x80]), Some(131));
        assert_eq!(
            der_total_len(&[0x30, 0x83, 0x01, 0x00, 0x00]),
            Some(0x1_0005)
        );
    }

    #[test]
    fn der_total_len_rejects_bad_headers() {
        assert_eq!(der_total_len(&[]), None);
        assert_eq!(der_total_len(&[0x30]), None);
        assert_eq!(der_total_len(&[0x30, 0x82, 0x03]), None, "truncated length");
        assert_eq!(der_total_len(&[0x30, 0x80]), None, "indefinite");
        assert_eq!(
            der_total_len(&[0x30, 0x81, 0x7F]),
            None,
            "short form needed"
        );
        assert_eq!(
            der_total_len(&[0x30, 0x82, 0x00, 0xFF]),
            None,
            "leading zero"
        );
        assert_eq!(
            der_total_len(&[0x30, 0x85, 1, 0, 0, 0, 0]),
            None,
            "too long"
        );
        assert_eq!(
            der_total_len(&[0xFF, 0xFF, 0xFF]),
            None,
            "multi-byte tag / erased EF"
        );
    }

    #[test]
    fn serial_strips_only_the_sign_byte() {
        let check = |bytes: &[u8]| serial_content(bytes, 0..bytes.len());
        assert_eq!(check(&[0x07, 0x05]), Ok(0..2));
        assert_eq!(check(&[0x00, 0x80]), Ok(1..2));
        assert_eq!(check(&[0x00]), Ok(0..1));
        assert_eq!(check(&[]), Err(CertError::BadSerial));
        assert_eq!(check(&[0x80]), Err(CertError::BadSerial), "negative");
        assert_eq!(
            check(&[0x00, 0x7F]),
            Err(CertError::BadSerial),
            "not minimal"
        );
    }

    #[test]
    fn parses_both_time_forms() {
        let utc = |s: &str| parse_time(s.as_bytes(), false).map(|t| t.unix_seconds);
        let gen = |s: &str| parse_time(s.as_bytes(), true).map(|t| t.unix_seconds);
        assert_eq!(utc("700101000000Z"), Ok(0));
        assert_eq!(utc("240122000000Z"), Ok(1_705_881_600));
        assert_eq!(utc("491231235959Z"), Ok(2_524_607_999), "49 is 2049");
        assert_eq!(utc("500101000000Z"), Ok(-631_152_000), "50 is 1950");
        assert_eq!(gen("20240122000000Z"), Ok(1_705_881_600));
        assert_eq!(gen("20500101000000Z"), Ok(2_524_608_000));
        assert_eq!(gen("20240229120000Z"), Ok(1_709_208_000), "leap day");
    }

    #[test]
    fn rejects_malformed_times() {
        let utc = |s: &str| parse_time(s.as_bytes(), false);
        let gen = |s: &str| parse_time(s.as_bytes(), true);
        for bad in [
            "",
            "240122000000",
            "2401220000Z",
            "240122000000+0900",
            "240122000000.5Z",
            "241322000000Z",
            "240100000000Z",
            "230229000000Z",
            "240431000000Z",
            "240122240000Z",
            "240122006000Z",
            "240122000060Z",
            "24012200000aZ",
        ] {
            assert_eq!(utc(bad), Err(CertError::BadTime), "{bad:?}");
        }
        assert_eq!(
            gen("240122000000Z"),
            Err(CertError::BadTime),
            "two-digit year"
        );
        assert_eq!(gen("20240122000000.5Z"), Err(CertError::BadTime));
    }
}
