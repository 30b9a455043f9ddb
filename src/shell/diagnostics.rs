//! Diagnostics for support staff, in the production binary: `readers`, `read-cert` and
//! `pin-status`. Each runs one PC/SC operation and returns the text to print; a failure is a
//! [`CardError`], printed as its kind and the kiosk's own Japanese advice.
//!
//! Nothing here prints or logs a PIN or patient data: `read-cert` shows the certificate's
//! serial number, issuer (the CA), validity and size, never the subject or the body.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::card::apdu::{Command, Response, StatusWord, INS_READ_BINARY, INS_SELECT, INS_VERIFY};
use crate::card::cert::UtcTime;
use crate::card::pcsc::{self, PcscReader, ReaderState};
use crate::card::{jpki, AuthCertificate, CardChannel, CardError, TransportError};
use crate::ui::strings;

/// INS of COMPUTE DIGITAL SIGNATURE (class 80).
const INS_SIGN: u8 = 0x2A;

/// `readers`: every reader and whether a card is in it. No reader at all is an error
/// ([`CardError::NoReader`]): that is what support staff look for.
pub fn readers() -> Result<String, CardError> {
    let readers = pcsc::list_readers_with_state()?;
    format_readers(&readers)
}

/// `read-cert`: reads the user-authentication certificate (no PIN) and reports it, as text
/// or as one JSON object.
pub fn read_cert(reader: Option<String>, json: bool) -> Result<String, CardError> {
    let reader = choose_reader(&pcsc::list_readers_with_state()?, reader.as_deref())?;
    let started = Instant::now();
    let read = PcscReader::new(Some(reader.clone())).with_channel(|channel| {
        let mut counting = CountingChannel::new(channel);
        let read = jpki::read_certificate(&mut counting);
        Ok((read, counting.into_exchanges()))
    })?;
    let (holder, cert, exchanges) = match read {
        (Ok((holder, cert)), exchanges) => (holder, cert, exchanges),
        // An Android phone opens its certificate only to its PIN: say which holder it is.
        (Err(CardError::PinFirst), _) => {
            let note = "certificate needs the phone's PIN first (not read; no PIN sent)";
            return Ok(if json {
                format!(
                    "{}\n",
                    miniserde::json::to_string(&HolderOnly {
                        reader,
                        holder: jpki::Holder::AndroidPhone.describe().to_owned(),
                        note: note.to_owned(),
                    })
                )
            } else {
                format!(
                    "reader      {reader}\nholder      {}\n            {note}\n",
                    jpki::Holder::AndroidPhone.describe()
                )
            });
        }
        (Err(e), _) => return Err(e),
    };
    let mut report = CertReport::new(reader, &cert, &exchanges, started.elapsed());
    report.holder = holder.describe().to_owned();
    Ok(if json {
        report.to_json()
    } else {
        report.to_text()
    })
}

/// `read-cert` on a holder whose certificate needs its PIN, as JSON.
#[derive(miniserde::Serialize)]
struct HolderOnly {
    reader: String,
    holder: String,
    note: String,
}

/// `pin-status`: which holder is on the reader and its user-authentication PIN's tries
/// left, asked without using a try (an iPhone is asked nothing: it takes no PIN here).
pub fn pin_status(reader: Option<String>) -> Result<String, CardError> {
    let reader = choose_reader(&pcsc::list_readers_with_state()?, reader.as_deref())?;
    let (holder, tries) = PcscReader::new(Some(reader.clone())).with_channel(|channel| {
        let holder = jpki::holder(channel)?;
        match holder {
            jpki::Holder::Card | jpki::Holder::AndroidPhone => {
                Ok((holder, Some(jpki::pin_tries_left(channel)?)))
            }
            jpki::Holder::IPhone => Ok((holder, None)),
            jpki::Holder::Unknown => Err(CardError::UnknownHolder),
        }
    })?;
    Ok(format_pin_status(&reader, holder, tries))
}

/// The exact name of the reader a diagnostic uses, so it can say which one it read:
/// `preferred` as the kiosk matches it (the exact name, or else the first name starting with
/// it), or else the first reader with a card.
fn choose_reader(readers: &[ReaderState], preferred: Option<&str>) -> Result<String, CardError> {
    if readers.is_empty() {
        return Err(CardError::NoReader);
    }
    let found = match preferred {
        Some(name) => readers
            .iter()
            .find(|r| r.name == name)
            .or_else(|| readers.iter().find(|r| r.name.starts_with(name)))
            .ok_or(CardError::NoReader)?,
        None => readers
            .iter()
            .find(|r| r.card_present)
            .ok_or(CardError::NoCard)?,
    };
    Ok(found.name.clone())
}

/// The message for a failed diagnostic: the error kind (English, for the support log) and
/// what the kiosk would tell the person at the reader.
pub fn error_message(command: &str, e: &CardError) -> String {
    let advice = strings::card_error(e);
    format!(
        "myna-kakunin {command}: {}\n  {}\n  {}",
        error_kind(e),
        advice.what,
        advice.next
    )
}

/// The same failure as one JSON object, for `--json`.
pub fn error_json(e: &CardError) -> String {
    let advice = strings::card_error(e);
    miniserde::json::to_string(&ErrorJson {
        error: error_kind(e),
        what: advice.what.to_owned(),
        next: advice.next.to_owned(),
    })
}

/// The error's kind in English, e.g. `NoReader` or `UnexpectedStatus(6A86)`. Card errors
/// carry no data, so their `Debug` form is safe to show.
pub fn error_kind(e: &CardError) -> String {
    match e {
        CardError::UnexpectedStatus(sw) => format!("UnexpectedStatus({sw})"),
        other => format!("{other:?}"),
    }
}

#[derive(miniserde::Serialize)]
struct ErrorJson {
    error: String,
    what: String,
    next: String,
}

fn format_readers(readers: &[ReaderState]) -> Result<String, CardError> {
    if readers.is_empty() {
        return Err(CardError::NoReader);
    }
    let mut out = String::new();
    for reader in readers {
        let card = if reader.card_present {
            "card present"
        } else {
            "no card"
        };
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{}\t{card}", reader.name);
    }
    Ok(out)
}

fn format_pin_status(reader: &str, holder: jpki::Holder, tries: Option<u8>) -> String {
    let mut out = format!("reader      {reader}\nholder      {}\n", holder.describe());
    let Some(tries) = tries else {
        out.push_str("tries left  (none asked: the person authenticates on the phone)\n");
        return out;
    };
    let _ = writeln!(
        out,
        "tries left  {tries} of {}  (asked without using a try)",
        jpki::AUTH_PIN_MAX_TRIES
    );
    if tries == 0 {
        // The kiosk's own words for a blocked PIN, once (writing to a String cannot fail).
        let advice = strings::card_error(&CardError::PinBlocked);
        let _ = writeln!(out, "blocked     {}{}", advice.what, advice.next);
    }
    out
}

/// One APDU seen by a [`CountingChannel`]: its header (never its data, which may be a
/// PIN), the file a SELECT EF named, the status word and how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// CLA INS P1 P2.
    pub header: [u8; 4],
    /// The file identifier of a SELECT EF.
    pub fid: Option<u16>,
    /// The card's status word; `None` when the transport failed.
    pub sw: Option<StatusWord>,
    /// From sending the command to having the response.
    pub elapsed: Duration,
}

impl Exchange {
    /// What the command is, by name: `SELECT AP`, `SELECT EF 000A`, `READ BINARY`,
    /// `VERIFY`, `VERIFY (tries)`, `SIGN` or the header in hex.
    pub fn label(&self) -> String {
        let [cla, ins, p1, _] = self.header;
        match (cla, ins, p1) {
            (0x00, INS_SELECT, 0x04) => "SELECT AP".to_owned(),
            (0x00, INS_SELECT, _) => match self.fid {
                Some(fid) => format!("SELECT EF {fid:04X}"),
                None => "SELECT".to_owned(),
            },
            (0x00, INS_READ_BINARY, _) => "READ BINARY".to_owned(),
            (0x00, INS_VERIFY, _) => "VERIFY".to_owned(),
            (0x80, INS_SIGN, _) => "SIGN".to_owned(),
            (0x80, jpki::INS_LAST_COMMAND, _) => "LAST COMMAND".to_owned(),
            _ => self.header.iter().map(|b| format!("{b:02X}")).collect(),
        }
    }
}

/// A [`CardChannel`] that passes every command through and records an [`Exchange`] for it.
pub struct CountingChannel<'c> {
    inner: &'c mut dyn CardChannel,
    exchanges: Vec<Exchange>,
}

impl<'c> CountingChannel<'c> {
    /// Wraps `inner`.
    pub fn new(inner: &'c mut dyn CardChannel) -> Self {
        Self {
            inner,
            exchanges: Vec::new(),
        }
    }

    /// The exchanges so far, in order.
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// The exchanges, in order.
    pub fn into_exchanges(self) -> Vec<Exchange> {
        self.exchanges
    }
}

impl CardChannel for CountingChannel<'_> {
    fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
        let header = command.header();
        let fid = match (header[1], header[2], command.data()) {
            (INS_SELECT, 0x02, &[hi, lo]) => Some(u16::from_be_bytes([hi, lo])),
            _ => None,
        };
        let started = Instant::now();
        let result = self.inner.transmit(command);
        let elapsed = started.elapsed();
        self.exchanges.push(Exchange {
            header,
            fid,
            sw: result.as_ref().ok().map(|r| r.sw),
            elapsed,
        });
        result
    }
}

/// What `read-cert` reports. No subject, no body: nothing that names the holder.
#[derive(Debug, Clone, PartialEq, miniserde::Serialize)]
struct CertReport {
    reader: String,
    holder: String,
    serial: String,
    issuer: String,
    not_before: String,
    not_after: String,
    length: usize,
    apdus: usize,
    selects: usize,
    reads: usize,
    /// From opening the PC/SC context to disconnecting, to 0.1 ms.
    ms: f64,
}

impl CertReport {
    fn new(
        reader: String,
        cert: &AuthCertificate,
        exchanges: &[Exchange],
        elapsed: Duration,
    ) -> Self {
        let count = |ins: u8| exchanges.iter().filter(|e| e.header[1] == ins).count();
        Self {
            reader,
            holder: jpki::Holder::Card.describe().to_owned(),
            serial: cert.serial_hex(),
            issuer: format_name(cert.issuer_der()).unwrap_or_else(|| "(unreadable)".to_owned()),
            not_before: format_time(cert.not_before()),
            not_after: format_time(cert.not_after()),
            length: cert.der().len(),
            apdus: exchanges.len(),
            selects: count(INS_SELECT),
            reads: count(INS_READ_BINARY),
            ms: (elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
        }
    }

    fn to_text(&self) -> String {
        format!(
            "reader      {}\nholder      {}\nserial      {}\nissuer      {}\nnot before  {}\nnot after   {}\n\
             length      {} bytes\napdus       {} ({} SELECT, {} READ BINARY)\ntime        {:.1} ms\n",
            self.reader,
            self.holder,
            self.serial,
            self.issuer,
            self.not_before,
            self.not_after,
            self.length,
            self.apdus,
            self.selects,
            self.reads,
            self.ms
        )
    }

    fn to_json(&self) -> String {
        let mut json = miniserde::json::to_string(self);
        json.push('\n');
        json
    }
}

/// `2024-01-22T00:00:00Z`.
fn format_time(t: UtcTime) -> String {
    let days = t.unix_seconds.div_euclid(86_400);
    let secs = t.unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// An X.501 Name (DER, tag included) as `C=JP, O=JPKI, OU=...`, in the order of the
/// certificate; `None` if it is not a well-formed Name.
fn format_name(der: &[u8]) -> Option<String> {
    let (tag, rdns, rest) = tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    let mut sets = rdns;
    while !sets.is_empty() {
        let (tag, mut attributes, rest) = tlv(sets)?;
        if tag != 0x31 {
            return None;
        }
        sets = rest;
        while !attributes.is_empty() {
            let (tag, attribute, rest) = tlv(attributes)?;
            attributes = rest;
            let (oid_tag, oid, value) = tlv(attribute)?;
            let (_, text, end) = tlv(value)?;
            if tag != 0x30 || oid_tag != 0x06 || !end.is_empty() {
                return None;
            }
            let name = match oid {
                [0x55, 0x04, 0x03] => "CN".to_owned(),
                [0x55, 0x04, 0x06] => "C".to_owned(),
                [0x55, 0x04, 0x07] => "L".to_owned(),
                [0x55, 0x04, 0x08] => "ST".to_owned(),
                [0x55, 0x04, 0x0A] => "O".to_owned(),
                [0x55, 0x04, 0x0B] => "OU".to_owned(),
                other => other.iter().map(|b| format!("{b:02X}")).collect(),
            };
            parts.push(format!("{name}={}", String::from_utf8_lossy(text)));
        }
    }
    Some(parts.join(", "))
}

/// Splits one DER TLV (single-byte tag, definite length) off `bytes`: (tag, content, rest).
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 2 {
            return None;
        }
        let (digits, rest) = rest.split_at_checked(count)?;
        let len = digits
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
        (len, rest)
    };
    let (content, rest) = rest.split_at_checked(len)?;
    Some((tag, content, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::apdu::Command;

    const TARO: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

    #[test]
    fn lists_readers_and_their_cards() {
        let readers = [
            ReaderState {
                name: "Test VPCD 00 00".to_owned(),
                card_present: true,
            },
            ReaderState {
                name: "Test VPCD 00 01".to_owned(),
                card_present: false,
            },
        ];
        assert_eq!(
            format_readers(&readers),
            Ok("Test VPCD 00 00\tcard present\nTest VPCD 00 01\tno card\n".to_owned())
        );
        assert_eq!(format_readers(&[]), Err(CardError::NoReader));
    }

    #[test]
    fn chooses_the_reader_as_the_kiosk_does() {
        let reader = |name: &str, card_present| ReaderState {
            name: name.to_owned(),
            card_present,
        };
        let readers = [
            reader("ACS ACR39U 00 00", false),
            reader("SONY FeliCa Port 00 00", false),
            reader("SONY FeliCa Port 01 00", true),
        ];
        let choose = |p| choose_reader(&readers, p);
        assert_eq!(choose(None), Ok("SONY FeliCa Port 01 00".to_owned()));
        assert_eq!(
            choose(Some("ACS")),
            Ok("ACS ACR39U 00 00".to_owned()),
            "empty is fine"
        );
        assert_eq!(
            choose(Some("SONY FeliCa Port")),
            Ok("SONY FeliCa Port 00 00".to_owned())
        );
        assert_eq!(
            choose(Some("SONY FeliCa Port 01 00")),
            Ok("SONY FeliCa Port 01 00".to_owned())
        );
        assert_eq!(choose(Some("Gemalto")), Err(CardError::NoReader));
        assert_eq!(choose_reader(&readers[..2], None), Err(CardError::NoCard));
        assert_eq!(choose_reader(&[], None), Err(CardError::NoReader));
        assert_eq!(choose_reader(&[], Some("ACS")), Err(CardError::NoReader));
    }

    #[test]
    fn errors_show_their_kind_and_the_japanese_advice() {
        let shown = error_message("read-cert", &CardError::NoCard);
        assert!(
            shown.starts_with("myna-kakunin read-cert: NoCard\n"),
            "{shown}"
        );
        assert!(shown.contains(strings::card_error(&CardError::NoCard).what));
        assert!(shown.contains(strings::card_error(&CardError::NoCard).next));
        let sw = CardError::UnexpectedStatus(StatusWord::WrongP1P2);
        assert_eq!(error_kind(&sw), "UnexpectedStatus(6A86)");
        let json = error_json(&CardError::NoService);
        assert!(
            json.starts_with(r#"{"error":"NoService","what":""#),
            "{json}"
        );
    }

    #[test]
    fn pin_status_says_tries_and_blocking() {
        use jpki::Holder;
        let shown = format_pin_status("R", Holder::Card, Some(3));
        assert!(shown.contains("tries left  3 of 3"), "{shown}");
        assert!(shown.contains("holder      My Number Card\n"), "{shown}");
        assert!(!shown.contains("blocked"));
        assert!(format_pin_status("R", Holder::Card, Some(0)).contains("blocked"));
        let android = format_pin_status("R", Holder::AndroidPhone, Some(2));
        assert!(android.contains("holder      Android phone"), "{android}");
        assert!(android.contains("tries left  2 of 3"), "{android}");
        let iphone = format_pin_status("R", Holder::IPhone, None);
        assert!(iphone.contains("holder      iPhone"), "{iphone}");
        assert!(iphone.contains("none asked"), "{iphone}");
    }

    #[test]
    fn formats_times_as_iso_utc() {
        let t = |unix_seconds| format_time(UtcTime { unix_seconds });
        assert_eq!(t(0), "1970-01-01T00:00:00Z");
        assert_eq!(t(1_705_881_600), "2024-01-22T00:00:00Z");
        assert_eq!(t(951_782_400 + 3_599), "2000-02-29T00:59:59Z");
        assert_eq!(t(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn formats_the_issuer_name() {
        let cert = AuthCertificate::from_der(TARO.to_vec()).expect("taro parses");
        assert_eq!(
            format_name(cert.issuer_der()).as_deref(),
            Some(
                "C=JP, O=JPKI, OU=JPKI for user authentication, \
                 OU=Japan Agency for Local Authority Information Systems, OU=DEMO TEST ONLY"
            )
        );
        assert_eq!(format_name(&[0x30, 0x00]).as_deref(), Some(""));
        for bad in [
            &[0x31, 0x00][..],
            &[0x30, 0x03, 0x31],
            &[0x30, 0x02, 0x30, 0x00],
        ] {
            assert_eq!(format_name(bad), None, "{bad:02X?}");
        }
    }

    /// Answers 9000 to everything, or fails on the chosen call.
    struct Echo {
        fail_on: Option<usize>,
        calls: usize,
    }

    impl CardChannel for Echo {
        fn transmit(&mut self, _: &Command) -> Result<Response, TransportError> {
            self.calls += 1;
            if self.fail_on == Some(self.calls) {
                return Err(TransportError::CardRemoved);
            }
            Ok(Response::status(StatusWord::Ok))
        }
    }

    #[test]
    fn the_counting_channel_records_headers_files_and_status_words() {
        let mut echo = Echo {
            fail_on: Some(5),
            calls: 0,
        };
        let mut counting = CountingChannel::new(&mut echo);
        let commands = [
            Command::select_aid(&jpki::JPKI_AID),
            Command::select_ef(jpki::EF_AUTH_PIN),
            Command::verify(b"1234").expect("fits"),
            Command::read_binary(0x100, 0).expect("fits"),
            Command::new(0x80, INS_SIGN, 0x00, 0x80),
        ];
        for command in &commands {
            let _ = counting.transmit(command);
        }
        let labels: Vec<_> = counting.exchanges().iter().map(Exchange::label).collect();
        assert_eq!(
            labels,
            [
                "SELECT AP",
                "SELECT EF 0018",
                "VERIFY",
                "READ BINARY",
                "SIGN"
            ]
        );
        let exchanges = counting.into_exchanges();
        assert_eq!(exchanges[0].sw, Some(StatusWord::Ok));
        assert_eq!(exchanges[4].sw, None, "transport failure");
        assert!(
            !format!("{exchanges:?}").contains("31, 32"),
            "no PIN recorded"
        );
    }

    #[test]
    fn the_report_names_no_holder() {
        let cert = AuthCertificate::from_der(TARO.to_vec()).expect("taro parses");
        let exchanges: Vec<Exchange> = [
            [0x00, 0xA4, 0x04, 0x0C],
            [0x00, 0xA4, 0x02, 0x0C],
            [0x00, 0xB0, 0x00, 0x00],
            [0x00, 0xB0, 0x01, 0x00],
        ]
        .into_iter()
        .map(|header| Exchange {
            header,
            fid: None,
            sw: Some(StatusWord::Ok),
            elapsed: Duration::ZERO,
        })
        .collect();
        let report = CertReport::new(
            "R".to_owned(),
            &cert,
            &exchanges,
            Duration::from_micros(12_345),
        );
        let text = report.to_text();
        assert!(text.contains("serial      0705D990\n"), "{text}");
        assert!(text.contains("holder      My Number Card\n"), "{text}");
        assert!(
            text.contains("not before  2024-01-22T00:00:00Z\n"),
            "{text}"
        );
        assert!(text.contains("length      938 bytes\n"), "{text}");
        assert!(
            text.contains("apdus       4 (2 SELECT, 2 READ BINARY)\n"),
            "{text}"
        );
        assert!(text.contains("time        12.3 ms\n"), "{text}");
        let json = report.to_json();
        assert!(json.contains(r#""serial":"0705D990""#), "{json}");
        assert!(json.contains(r#""length":938"#), "{json}");
        assert!(
            json.contains(r#""apdus":4,"selects":2,"reads":2,"ms":12.3"#),
            "{json}"
        );
        for shown in [text, json] {
            assert!(!shown.contains("DEMO0000000000000001"), "no subject");
        }
    }
}
