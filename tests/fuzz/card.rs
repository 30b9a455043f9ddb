//! Card bytes: response APDUs and status words (`card::apdu`), the certificate DER reader
//! (`card::cert`), and the JPKI procedures (`card::jpki`) over a channel whose card answers
//! with mutated responses.

use std::sync::atomic::{AtomicUsize, Ordering};

use myna_kakunin::card::apdu::{ApduError, Command, Response, StatusWord};
use myna_kakunin::card::cert::{der_total_len, AuthCertificate};
use myna_kakunin::card::jpki::{self, JPKI_AID};
use myna_kakunin::card::{CardChannel, CardError, TransportError};

use crate::center::CERTIFICATES;
use crate::harness::{hex, Input, Verdict};
use crate::mutate;
use crate::rng::Rng;

/// Status words the JPKI procedures read, and neighbours.
const STATUS_WORDS: &[u16] = &[
    0x9000, 0x63C0, 0x63C1, 0x63C2, 0x63C3, 0x63CF, 0x6300, 0x63BF, 0x63D0, 0x6983, 0x6984, 0x6982,
    0x6986, 0x6A82, 0x6A86, 0x6A88, 0x6700, 0x6B00, 0x6D00, 0x6E00, 0x6282, 0x6100, 0x61FF, 0x6C00,
    0x6CFF, 0x6F00, 0x0000, 0xFFFF, 0x9001,
];

/// A short name for a card error, for the tally.
fn card_kind(error: &CardError) -> String {
    match error {
        CardError::UnexpectedStatus(_) => "UnexpectedStatus".into(),
        CardError::WrongPin { .. } => "WrongPin".into(),
        other => format!("{other:?}"),
    }
}

/// The minimal-DER header rule, written out independently of `card::cert`: the total
/// length of the object `bytes` starts with.
fn reference_der_len(bytes: &[u8]) -> Option<usize> {
    let tag = *bytes.first()?;
    if tag & 0x1F == 0x1F {
        return None;
    }
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let count = usize::from(first & 0x7F);
    if !(1..=4).contains(&count) {
        return None;
    }
    let digits = bytes.get(2..2 + count)?;
    if digits[0] == 0 {
        return None;
    }
    let len = digits
        .iter()
        .fold(0usize, |acc, &d| (acc << 8) | usize::from(d));
    (len >= 0x80).then_some(2 + count + len)
}

/// ISO 7816-4 command APDU fields, decoded independently of the crate: (header, data, Ne).
/// Lc is never 0 (a zero Lc byte starts the extended form, and an extended Lc of 0 is
/// not allowed).
pub fn reference_command(raw: &[u8]) -> Option<([u8; 4], Vec<u8>, Option<usize>)> {
    let header: [u8; 4] = raw.get(..4)?.try_into().ok()?;
    let body = &raw[4..];
    let short_ne = |b: u8| if b == 0 { 256 } else { usize::from(b) };
    let long_ne = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
        0 => 65_536,
        n => usize::from(n),
    };
    Some(match body {
        [] => (header, Vec::new(), None),
        [le] => (header, Vec::new(), Some(short_ne(*le))),
        [0, hi, lo] => (header, Vec::new(), Some(long_ne(*hi, *lo))),
        [0, hi, lo, rest @ ..] => {
            let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
            if lc == 0 {
                return None;
            }
            match rest.len().checked_sub(lc)? {
                0 => (header, rest.to_vec(), None),
                2 => (
                    header,
                    rest[..lc].to_vec(),
                    Some(long_ne(rest[lc], rest[lc + 1])),
                ),
                _ => return None,
            }
        }
        [0, ..] => return None,
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            match rest.len().checked_sub(lc)? {
                0 => (header, rest.to_vec(), None),
                1 => (header, rest[..lc].to_vec(), Some(short_ne(rest[lc]))),
                _ => return None,
            }
        }
    })
}

/// One iteration of `card_apdu`: responses, status words, DER headers, and command
/// encodings decoded back.
pub fn apdu(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    match rng.below(3) {
        0 => response(rng, input),
        1 => header(rng, input),
        _ => command(rng, input),
    }
}

fn response(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let len = match rng.below(10) {
        0 => rng.range(0, 3),
        1 => rng.range(250, 300),
        2 => rng.range(0, 70_000),
        _ => rng.range(0, 40),
    };
    let mut raw = rng.bytes(len);
    if len >= 2 && rng.chance(1, 2) {
        let sw = rng.pick(STATUS_WORDS).to_be_bytes();
        raw[len - 2..].copy_from_slice(&sw);
    }
    input.record("response", &raw);
    let result = Response::from_bytes(&raw);
    match &result {
        Ok(r) => {
            if raw.len() < 2 {
                return Err(format!("{} bytes made a response", raw.len()));
            }
            if r.to_bytes() != raw {
                return Err("the response does not give back its bytes".into());
            }
            let word = u16::from_be_bytes([raw[len - 2], raw[len - 1]]);
            if r.sw.to_u16() != word || StatusWord::from_u16(word) != r.sw {
                return Err(format!("status word {word:04X} became {:?}", r.sw));
            }
            let shown = r.to_string();
            if !shown.starts_with(&format!("{word:04X}")) {
                return Err(format!("{shown:?} is not the trace form"));
            }
            let debug = format!("{r:?}");
            if debug
                != format!(
                    "Response {{ sw: {:?}, data: <{} bytes> }}",
                    r.sw,
                    r.data.len()
                )
            {
                return Err(format!("Debug shows more than the length: {debug}"));
            }
            if let StatusWord::WrongPin { tries_left } = r.sw {
                if !(1..=15).contains(&tries_left) {
                    return Err(format!("{tries_left} tries left"));
                }
            }
            Ok(Verdict::Parsed)
        }
        Err(ApduError::ResponseTooShort) if raw.len() < 2 => {
            Ok(Verdict::refused("ResponseTooShort"))
        }
        Err(e) => Err(format!("{} bytes gave {e:?}", raw.len())),
    }
}

fn header(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let len = rng.range(0, 8);
    let mut raw = rng.bytes(len);
    // Mostly plausible headers: a SEQUENCE tag and a length byte of each form.
    if len > 0 && rng.chance(2, 3) {
        raw[0] = *rng.pick(&[0x30, 0x02, 0x03, 0x1F, 0xFF, 0xA0]);
    }
    if len > 1 && rng.chance(2, 3) {
        raw[1] = *rng.pick(&[0x00, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF]);
    }
    if len > 2 && rng.chance(1, 3) {
        raw[2] = 0;
    }
    input.record("header", &raw);
    let got = der_total_len(&raw);
    let expected = reference_der_len(&raw);
    if got != expected {
        return Err(format!(
            "der_total_len gave {got:?}, the DER rules {expected:?}"
        ));
    }
    Ok(match got {
        Some(_) => Verdict::Parsed,
        None => Verdict::refused("bad header"),
    })
}

fn command(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let header = [
        rng.next_u64() as u8,
        rng.next_u64() as u8,
        rng.next_u64() as u8,
        rng.next_u64() as u8,
    ];
    let extended = rng.chance(1, 2);
    let mut cmd = if extended {
        Command::extended(header[0], header[1], header[2], header[3])
    } else {
        Command::new(header[0], header[1], header[2], header[3])
    };
    let data_len = match rng.below(6) {
        0 => 0,
        1 => *rng.pick(&[1, 255, 256, 65_535, 65_536]),
        _ => rng.range(0, 300),
    };
    let data = rng.bytes(data_len);
    input.note(format!(
        "header {}, extended {extended}, data {data_len} bytes",
        hex(&header)
    ));
    let data_ok = if data_len > 0 {
        match cmd.with_data(data.clone()) {
            Ok(c) => {
                cmd = c;
                true
            }
            Err(ApduError::BadDataLength) => {
                let max = if extended { 65_535 } else { 255 };
                if data_len <= max {
                    return Err(format!("{data_len} bytes of data refused"));
                }
                return Ok(Verdict::refused("BadDataLength"));
            }
            Err(e) => return Err(format!("with_data gave {e:?}")),
        }
    } else {
        true
    };
    let ne = match rng.below(4) {
        0 => None,
        1 => Some(*rng.pick(&[0, 1, 255, 256, 257, 65_535, 65_536, 65_537])),
        _ => Some(rng.range(1, 300)),
    };
    if let Some(ne) = ne {
        match cmd.with_ne(ne) {
            Ok(c) => cmd = c,
            Err(ApduError::BadExpectedLength) => {
                let max = if extended { 65_536 } else { 256 };
                if (1..=max).contains(&ne) {
                    return Err(format!("Ne {ne} refused"));
                }
                return Ok(Verdict::refused("BadExpectedLength"));
            }
            Err(e) => return Err(format!("with_ne gave {e:?}")),
        }
    }
    let bytes = cmd.to_bytes().to_vec();
    input.record("command", &bytes);
    let decoded = reference_command(&bytes);
    let expected = (header, if data_ok { data } else { Vec::new() }, ne);
    if decoded.as_ref() != Some(&expected) {
        return Err(format!("the encoding decodes to {decoded:?}"));
    }
    Ok(Verdict::Parsed)
}

/// A DER node: primitive content, or constructed children.
#[derive(Clone, Debug)]
enum Node {
    Prim(u8, Vec<u8>),
    Cons(u8, Vec<Node>),
}

/// The TLVs of `bytes` (lenient: any definite length form), children parsed where the
/// tag says constructed and the content parses.
fn parse_tlvs(bytes: &[u8]) -> Option<Vec<Node>> {
    let mut nodes = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let tag = rest[0];
        let first = *rest.get(1)?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let count = usize::from(first & 0x7F);
            let digits = rest.get(2..2 + count)?;
            if count == 0 || count > 4 {
                return None;
            }
            (
                digits
                    .iter()
                    .fold(0usize, |a, &d| (a << 8) | usize::from(d)),
                2 + count,
            )
        };
        let content = rest.get(header..header + len)?;
        let node = match (tag & 0x20 != 0).then(|| parse_tlvs(content)).flatten() {
            Some(children) => Node::Cons(tag, children),
            None => Node::Prim(tag, content.to_vec()),
        };
        nodes.push(node);
        rest = &rest[header + len..];
    }
    Some(nodes)
}

/// How to break one node's length when encoding.
#[derive(Clone, Copy, Debug)]
enum BadLength {
    NonMinimal,
    Indefinite,
    PlusOne,
    MinusOne,
    Huge,
    FiveBytes,
    Zero,
}

/// Minimal DER length bytes.
fn length_bytes(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let digits: Vec<u8> = len
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    [vec![0x80 | digits.len() as u8], digits].concat()
}

fn encode_nodes(
    nodes: &[Node],
    out: &mut Vec<u8>,
    index: &mut usize,
    bad: Option<(usize, BadLength)>,
) {
    for node in nodes {
        let this = *index;
        *index += 1;
        let (tag, content) = match node {
            Node::Prim(tag, content) => (*tag, content.clone()),
            Node::Cons(tag, children) => {
                let mut content = Vec::new();
                encode_nodes(children, &mut content, index, bad);
                (*tag, content)
            }
        };
        out.push(tag);
        let len = content.len();
        match bad.filter(|(at, _)| *at == this).map(|(_, how)| how) {
            None => out.extend(length_bytes(len)),
            Some(BadLength::NonMinimal) => {
                out.push(0x82);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            Some(BadLength::Indefinite) => out.push(0x80),
            Some(BadLength::PlusOne) => out.extend(length_bytes(len + 1)),
            Some(BadLength::MinusOne) => out.extend(length_bytes(len.saturating_sub(1))),
            Some(BadLength::Huge) => out.extend_from_slice(&[0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Some(BadLength::FiveBytes) => out.extend_from_slice(&[0x85, 0, 0, 0, 0, 1]),
            Some(BadLength::Zero) => out.push(0),
        }
        out.extend_from_slice(&content);
    }
}

fn count_nodes(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Cons(_, children) => 1 + count_nodes(children),
            Node::Prim(..) => 1,
        })
        .sum()
}

/// Calls `f` with the sibling list and index of the `k`-th node (pre-order).
fn with_nth(
    nodes: &mut Vec<Node>,
    k: &mut usize,
    f: &mut dyn FnMut(&mut Vec<Node>, usize),
) -> bool {
    for i in 0..nodes.len() {
        if *k == 0 {
            f(nodes, i);
            return true;
        }
        *k -= 1;
        if let Node::Cons(_, children) = &mut nodes[i] {
            if with_nth(children, k, f) {
                return true;
            }
        }
    }
    false
}

/// Validity times: valid, at the edges of the two forms, and broken.
const TIMES: &[(u8, &str)] = &[
    (0x17, "240122000000Z"),
    (0x17, "491231235959Z"),
    (0x17, "500101000000Z"),
    (0x17, "000229000000Z"),
    (0x17, "010229000000Z"),
    (0x17, "991231235959Z"),
    (0x17, "240122000000"),
    (0x17, "2401220000Z"),
    (0x17, "240122000000+0900"),
    (0x17, "24012200000aZ"),
    (0x17, "240122240000Z"),
    (0x17, "-40122000000Z"),
    (0x18, "20240122000000Z"),
    (0x18, "00000101000000Z"),
    (0x18, "99991231235959Z"),
    (0x18, "19000229000000Z"),
    (0x18, "20000229000000Z"),
    (0x18, "20240122000000.5Z"),
    (0x18, "240122000000Z"),
    (0x18, "+0240122000000Z"),
];

/// A validity time: one of [`TIMES`], or digits in the right shape naming any day, valid
/// or not (month 13, 31 February, hour 24, years 0000 and 9999).
fn time(rng: &mut Rng) -> (u8, Vec<u8>) {
    if rng.chance(1, 3) {
        let (tag, text) = *rng.pick(TIMES);
        return (tag, text.as_bytes().to_vec());
    }
    let generalized = rng.chance(1, 2);
    let any = [
        rng.below(10_000),
        rng.range(1, 12),
        rng.range(1, 31),
        rng.below(24),
        rng.below(60),
        rng.below(60),
    ];
    let year = if generalized {
        format!(
            "{:04}",
            *rng.pick(&[0, 1, 1949, 1950, 1970, 2024, 2049, 2050, 9999, any[0]])
        )
    } else {
        format!("{:02}", any[0] % 100)
    };
    let month = *rng.pick(&[0, 1, 2, 12, 13, any[1]]);
    let day = *rng.pick(&[0, 1, 28, 29, 30, 31, 32, any[2]]);
    let hour = *rng.pick(&[0, 23, 24, any[3]]);
    let minute = *rng.pick(&[0, 59, 60, any[4]]);
    let second = *rng.pick(&[0, 59, 60, any[5]]);
    let text = format!("{year}{month:02}{day:02}{hour:02}{minute:02}{second:02}Z");
    (if generalized { 0x18 } else { 0x17 }, text.into_bytes())
}

/// `der` with new validity times and nothing else changed (so the serial and the issuer
/// still name a demo card), or `None` if it is not shaped like a certificate.
pub fn retimed_certificate(rng: &mut Rng, der: &[u8]) -> Option<Vec<u8>> {
    let mut nodes = parse_tlvs(der)?;
    let Some(Node::Cons(_, parts)) = nodes.first_mut() else {
        return None;
    };
    let Some(Node::Cons(_, fields)) = parts.first_mut() else {
        return None;
    };
    let Some(Node::Cons(_, times)) = fields.get_mut(4) else {
        return None;
    };
    for slot in times.iter_mut() {
        if rng.chance(2, 3) {
            let (tag, text) = time(rng);
            *slot = Node::Prim(tag, text);
        }
    }
    let mut out = Vec::new();
    encode_nodes(&nodes, &mut out, &mut 0, None);
    Some(out)
}

/// `der` with only its SubjectPublicKeyInfo mutated (the key that PIN-mode checks verify
/// signatures with), or `None` if it is not shaped like a certificate.
pub fn rekeyed_certificate(rng: &mut Rng, der: &[u8]) -> Option<Vec<u8>> {
    let mut nodes = parse_tlvs(der)?;
    let Some(Node::Cons(_, parts)) = nodes.first_mut() else {
        return None;
    };
    let Some(Node::Cons(_, fields)) = parts.first_mut() else {
        return None;
    };
    let spki = fields.get(6)?.clone();
    let mut spki_der = Vec::new();
    encode_nodes(&[spki], &mut spki_der, &mut 0, None);
    let mutated = mutated_certificate(rng, &spki_der);
    let replacement = parse_tlvs(&mutated).unwrap_or_else(|| vec![Node::Prim(0x30, mutated)]);
    fields.splice(6..7, replacement);
    let mut out = Vec::new();
    encode_nodes(&nodes, &mut out, &mut 0, None);
    Some(out)
}

/// Serial number contents: empty, zero, negative, non-minimal, long.
const SERIALS: &[&[u8]] = &[
    &[],
    &[0x00],
    &[0x80],
    &[0xFF],
    &[0x00, 0x7F],
    &[0x00, 0x80],
    &[0x00, 0x00, 0x80],
    &[0x7F; 40],
    &[0x01],
];

const TAGS: &[u8] = &[
    0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x13, 0x17, 0x18, 0x30, 0x31, 0xA0, 0xA3, 0x81, 0x82, 0x1F,
    0x3F, 0xFF, 0x00,
];

/// A mutated certificate: DER-aware changes (tags, fields removed, duplicated or swapped,
/// serials, times, key bits, lengths in every wrong form) and byte-level ones.
pub fn mutated_certificate(rng: &mut Rng, der: &[u8]) -> Vec<u8> {
    if rng.chance(1, 4) {
        let mut bytes = der.to_vec();
        let other = rng.pick(CERTIFICATES);
        mutate::bytes(
            rng,
            &mut bytes,
            &[&[0x30, 0x82], &[0x02, 0x01, 0x00], &[0x80], &[0x00]],
            Some(other),
            4,
        );
        return bytes;
    }
    let mut nodes = parse_tlvs(der).expect("the test certificates are DER");
    for _ in 0..rng.range(1, 3) {
        let total = count_nodes(&nodes);
        if total == 0 {
            break;
        }
        let mut k = rng.below(total);
        let op = rng.below(10);
        let pick_tag = *rng.pick(TAGS);
        let time = time(rng);
        let serial = rng.pick(SERIALS).to_vec();
        let n = rng.range(0, 40);
        let random = rng.bytes(n);
        let j = rng.next_u64() as usize;
        with_nth(&mut nodes, &mut k, &mut |siblings, i| match op {
            0 => match &mut siblings[i] {
                Node::Prim(tag, _) | Node::Cons(tag, _) => *tag = pick_tag,
            },
            1 => {
                siblings.remove(i);
            }
            2 => {
                let copy = siblings[i].clone();
                siblings.insert(i, copy);
            }
            3 => {
                let other = j % siblings.len();
                siblings.swap(i, other);
            }
            4 => siblings[i] = Node::Prim(time.0, time.1.clone()),
            5 => siblings[i] = Node::Prim(0x02, serial.clone()),
            6 => siblings[i] = Node::Prim(0x03, [&[(j % 9) as u8][..], &random].concat()),
            7 => {
                let node = siblings[i].clone();
                siblings[i] = Node::Cons(0x30, vec![node]);
            }
            8 => {
                if let Node::Cons(_, children) = &siblings[i] {
                    if let Some(first) = children.first() {
                        siblings[i] = first.clone();
                    }
                }
            }
            _ => {
                if let Node::Prim(_, content) = &mut siblings[i] {
                    let cut = j % (content.len() + 1);
                    content.truncate(cut);
                    content.extend_from_slice(&random);
                }
            }
        });
    }
    let bad = rng.chance(1, 3).then(|| {
        let how = *rng.pick(&[
            BadLength::NonMinimal,
            BadLength::Indefinite,
            BadLength::PlusOne,
            BadLength::MinusOne,
            BadLength::Huge,
            BadLength::FiveBytes,
            BadLength::Zero,
        ]);
        (rng.below(count_nodes(&nodes).max(1)), how)
    });
    let mut out = Vec::new();
    encode_nodes(&nodes, &mut out, &mut 0, bad);
    out
}

/// One iteration of `card_cert`.
pub fn cert(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let original = *rng.pick(CERTIFICATES);
    let der = match rng.below(10) {
        0 => original.to_vec(),
        1 => {
            let n = rng.range(0, 1200);
            rng.bytes(n)
        }
        2 => retimed_certificate(rng, original).expect("the test certificates are DER"),
        3 => rekeyed_certificate(rng, original).expect("the test certificates are DER"),
        _ => mutated_certificate(rng, original),
    };
    input.record("certificate", &der);
    let result = AuthCertificate::from_der(der.clone());
    match &result {
        Ok(cert) => check_certificate(cert, &der)?,
        Err(_) if der == original => return Err(format!("a test certificate gave {result:?}")),
        Err(_) => {}
    }
    Ok(match result {
        Ok(_) => Verdict::Parsed,
        Err(e) => Verdict::refused(format!("{e:?}")),
    })
}

/// What holds for every certificate that parses.
fn check_certificate(cert: &AuthCertificate, der: &[u8]) -> Result<(), String> {
    if cert.der() != der {
        return Err("the certificate does not keep its bytes".into());
    }
    if der_total_len(der) != Some(der.len()) {
        return Err("the certificate's header does not give its length".into());
    }
    let serial = cert.serial();
    if serial.is_empty() || (serial.len() > 1 && serial[0] == 0) {
        return Err(format!("serial {}", hex(serial)));
    }
    if cert.serial_hex().len() != 2 * serial.len() {
        return Err("serial_hex has the wrong length".into());
    }
    for (name, part) in [
        ("issuer", cert.issuer_der()),
        ("spki", cert.subject_public_key_info()),
    ] {
        if part.first() != Some(&0x30) || der_total_len(part) != Some(part.len()) {
            return Err(format!("{name} is not one whole SEQUENCE"));
        }
    }
    if let Some(key) = cert.subject_public_key() {
        if key.is_empty() || !cert.subject_public_key_info().ends_with(key) {
            return Err("the key is not the end of the SubjectPublicKeyInfo".into());
        }
    }
    // A signature check with any key must answer, not panic.
    let signature = jpki::Signature::from_slice(&[0x5A; jpki::SIGNATURE_LEN]).expect("256 bytes");
    let _ = signature.verifies(cert, b"challenge");
    let again = AuthCertificate::from_der(der.to_vec());
    if again.as_ref() != Ok(cert) {
        return Err("the certificate does not parse again to itself".into());
    }
    let _ = format!("{cert:?}");
    Ok(())
}

/// The files and PIN of a JPKI card, and what it does with each command: an honest card.
struct ModelCard {
    auth_cert: Vec<u8>,
    pin: [u8; 4],
    tries: u8,
    ap_selected: bool,
    current: Option<u16>,
    verified: bool,
    /// Answers at most this many bytes per READ BINARY (a card with short reads).
    short_reads: Option<usize>,
}

const SW_OK: [u8; 2] = [0x90, 0x00];

fn sw(word: u16) -> Vec<u8> {
    word.to_be_bytes().to_vec()
}

/// The signature the model card makes: 256 bytes derived from the data.
fn model_signature(data: &[u8]) -> Vec<u8> {
    (0..jpki::SIGNATURE_LEN)
        .map(|i| data[i % data.len()] ^ i as u8)
        .collect()
}

impl ModelCard {
    fn forget(&mut self) {
        self.ap_selected = false;
        self.current = None;
        self.verified = false;
    }

    fn answer(&mut self, cmd: &[u8]) -> Vec<u8> {
        match cmd {
            [0x00, 0xA4, 0x04, 0x0C, 0x0A, aid @ ..] if aid == JPKI_AID => {
                self.forget();
                self.ap_selected = true;
                sw(0x9000)
            }
            [0x00, 0xA4, 0x02, 0x0C, 0x02, hi, lo] => {
                if !self.ap_selected {
                    return sw(0x6986);
                }
                let fid = u16::from_be_bytes([*hi, *lo]);
                if [jpki::EF_AUTH_CERT, jpki::EF_AUTH_KEY, jpki::EF_AUTH_PIN].contains(&fid) {
                    self.current = Some(fid);
                    sw(0x9000)
                } else {
                    sw(0x6A82)
                }
            }
            [0x00, 0xB0, p1, p2, le] => {
                if self.current != Some(jpki::EF_AUTH_CERT) {
                    return sw(0x6986);
                }
                let offset = usize::from(u16::from_be_bytes([*p1, *p2]));
                let Some(rest) = self.auth_cert.get(offset..) else {
                    return sw(0x6B00);
                };
                let mut want = if *le == 0 { 256 } else { usize::from(*le) };
                if let Some(max) = self.short_reads {
                    want = want.min(max);
                }
                [&rest[..want.min(rest.len())], &SW_OK[..]].concat()
            }
            [0x00, 0x20, 0x00, 0x80] => {
                if self.current != Some(jpki::EF_AUTH_PIN) {
                    return sw(0x6986);
                }
                sw(0x63C0 | u16::from(self.tries))
            }
            [0x00, 0x20, 0x00, 0x80, 0x04, pin @ ..] => {
                if self.current != Some(jpki::EF_AUTH_PIN) {
                    return sw(0x6986);
                }
                if self.tries == 0 {
                    return sw(0x6984);
                }
                if pin == self.pin {
                    self.tries = 3;
                    self.verified = true;
                    sw(0x9000)
                } else {
                    self.tries -= 1;
                    sw(0x63C0 | u16::from(self.tries))
                }
            }
            [0x80, 0x2A, 0x00, 0x80, 0x33, rest @ ..] if rest.len() == 52 => {
                if self.current != Some(jpki::EF_AUTH_KEY) || !self.verified {
                    return sw(0x6982);
                }
                [model_signature(&rest[..51]), SW_OK.to_vec()].concat()
            }
            _ => sw(0x6D00),
        }
    }
}

/// The most APDUs one procedure may send: two attempts (a reset restarts once) of the PIN
/// flow's eight commands plus one READ per byte of the largest readable object, and the
/// log-out SELECT. Anything above is an endless loop.
const APDU_LIMIT: usize = 2 * (8 + 0x8000) + 1;

/// The most APDUs one procedure sent in this run (shown by the test).
pub static MOST_APDUS: AtomicUsize = AtomicUsize::new(0);

/// What the channel sent and what the procedure saw back.
struct Exchange {
    command: Vec<u8>,
    answer: Result<Response, TransportError>,
}

/// A channel to a [`ModelCard`] whose answers are mutated with some probability, and
/// which checks each command the procedure sends.
struct MutatingChannel<'a> {
    card: ModelCard,
    rng: Rng,
    mutate: (u64, u64),
    log: Vec<Exchange>,
    input: &'a mut Input,
}

const TRANSPORT_ERRORS: &[TransportError] = &[
    TransportError::CardReset,
    TransportError::CardReset,
    TransportError::CardReset,
    TransportError::CardRemoved,
    TransportError::ReaderRemoved,
    TransportError::ServiceStopped,
    TransportError::Timeout,
    TransportError::ReaderFault,
];

impl MutatingChannel<'_> {
    /// The bytes (data and status word) of a mutated answer, or a transport failure.
    fn mutated(&mut self, cmd: &[u8]) -> Result<Vec<u8>, TransportError> {
        let rng = &mut self.rng;
        match rng.below(9) {
            0 => {
                let error = *rng.pick(TRANSPORT_ERRORS);
                if error == TransportError::CardReset {
                    // Reset before or after the card processed the command.
                    if rng.chance(1, 2) {
                        self.card.answer(cmd);
                    }
                    self.card.forget();
                }
                Err(error)
            }
            1 => {
                // Another status word, the data kept or dropped.
                let mut honest = self.card.answer(cmd);
                let word = *self.rng.pick(STATUS_WORDS);
                let len = honest.len();
                if self.rng.chance(1, 2) {
                    honest[len - 2..].copy_from_slice(&word.to_be_bytes());
                    Ok(honest)
                } else {
                    Ok(sw(word))
                }
            }
            2 => {
                // The data changed, the status word kept.
                let mut honest = self.card.answer(cmd);
                let word = honest.split_off(honest.len() - 2);
                mutate::bytes(
                    &mut self.rng,
                    &mut honest,
                    &[&[0x30, 0x82], &[0xFF; 4]],
                    None,
                    3,
                );
                Ok([honest, word].concat())
            }
            3 => {
                // Data appended: too much of it, up to more than an extended APDU holds.
                let mut honest = self.card.answer(cmd);
                let n = *self.rng.pick(&[1, 255, 256, 1000, 70_000]);
                let extra = self.rng.bytes(n);
                let at = honest.len() - 2;
                honest.splice(at..at, extra);
                Ok(honest)
            }
            4 => {
                let honest = self.card.answer(cmd);
                let word = honest[honest.len() - 2..].to_vec();
                Ok(word)
            }
            5 => {
                // Raw bytes, maybe too short to be a response.
                let n = self.rng.range(0, 6);
                Ok(self.rng.bytes(n))
            }
            6 => {
                // The card silently forgot its session (reset by someone else).
                self.card.forget();
                Ok(self.card.answer(cmd))
            }
            7 => {
                // The PIN counter moved under the procedure.
                self.card.tries = self.rng.below(16) as u8;
                Ok(self.card.answer(cmd))
            }
            _ => {
                let word = *self.rng.pick(STATUS_WORDS);
                let n = self.rng.range(0, 300);
                Ok([self.rng.bytes(n), sw(word)].concat())
            }
        }
    }
}

/// Panics if the procedure sent a command the card layer must never send.
fn check_command(cmd: &[u8]) {
    match cmd {
        [0x00, 0xB0, p1, _, _] if p1 & 0x80 != 0 => {
            panic!("READ BINARY with P1 bit 8 set (an offset above 0x7FFF)")
        }
        [0x00, 0xB0, ..] if cmd.len() != 5 => panic!("a READ BINARY that is not 5 bytes"),
        [0x00, 0x20, 0x00, 0x80, 0x04, pin @ ..]
            if pin.len() != 4 || !pin.iter().all(u8::is_ascii_digit) =>
        {
            panic!("a VERIFY whose data is not 4 ASCII digits")
        }
        [0x00, 0x20, ..] if cmd.len() != 4 && cmd.len() != 9 => panic!("a malformed VERIFY"),
        _ => {}
    }
}

impl CardChannel for MutatingChannel<'_> {
    fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
        let cmd = command.to_bytes().to_vec();
        let index = self.log.len();
        assert!(
            index < APDU_LIMIT,
            "more than {APDU_LIMIT} APDUs: an endless loop"
        );
        check_command(&cmd);
        let raw = if self.rng.chance(self.mutate.0, self.mutate.1) {
            self.mutated(&cmd)
        } else {
            Ok(self.card.answer(&cmd))
        };
        // The same failure the PC/SC channel reports for fewer than two bytes.
        let answer = match &raw {
            Ok(bytes) => Response::from_bytes(bytes).map_err(|_| TransportError::ReaderFault),
            Err(e) => Err(*e),
        };
        if index < 64 || index.is_multiple_of(1024) {
            // Enough to see what happened; the seed replays the rest.
            self.input.record(format!(">> {index}"), &cmd);
            match &raw {
                Ok(bytes) => self.input.record(format!("<< {index}"), bytes),
                Err(e) => self.input.note(format!("<< {index}: {e:?}")),
            }
        }
        self.log.push(Exchange {
            command: cmd,
            answer: answer.clone(),
        });
        answer
    }
}

fn is_select_ap(cmd: &[u8]) -> bool {
    cmd.len() == 15 && cmd[..4] == [0x00, 0xA4, 0x04, 0x0C] && cmd[5..] == JPKI_AID
}

fn is_query(cmd: &[u8]) -> bool {
    cmd == [0x00, 0x20, 0x00, 0x80]
}

fn is_verify(cmd: &[u8]) -> bool {
    cmd.len() > 4 && cmd[..4] == [0x00, 0x20, 0x00, 0x80]
}

fn is_sign(cmd: &[u8]) -> bool {
    cmd.len() > 2 && cmd[..2] == [0x80, 0x2A]
}

fn answered(exchange: &Exchange) -> Option<StatusWord> {
    exchange.answer.as_ref().ok().map(|r| r.sw)
}

/// The PIN safety rules, over what was sent and answered.
fn check_pin_rules(log: &[Exchange], flow: bool) -> Result<(), String> {
    let verifies: Vec<usize> = (0..log.len())
        .filter(|&i| is_verify(&log[i].command))
        .collect();
    for &i in &verifies {
        // The tries query comes right before the PIN, and said the PIN is not blocked.
        let query = i.checked_sub(1).map(|q| &log[q]);
        let allowed = match query {
            Some(q) if is_query(&q.command) => matches!(
                answered(q),
                Some(StatusWord::WrongPin { .. } | StatusWord::Ok)
            ),
            _ => false,
        };
        if !allowed {
            return Err(format!(
                "APDU {i}: the PIN went out without a tries query saying it may"
            ));
        }
    }
    // A second PIN only after a reset restarted the flow, and only if the first was right
    // or its answer was lost to that reset: never a second try after a wrong PIN.
    match verifies.as_slice() {
        [] | [_] => {}
        [first, second] => {
            let first_ok = matches!(
                &log[*first].answer,
                Ok(r) if r.sw == StatusWord::Ok
            ) || log[*first].answer == Err(TransportError::CardReset);
            let reset_between = log[*first..*second]
                .iter()
                .any(|e| e.answer == Err(TransportError::CardReset));
            if !first_ok || !reset_between {
                return Err("the PIN went out again without a reset after a right PIN".into());
            }
        }
        _ => return Err(format!("the PIN went out {} times", verifies.len())),
    }
    if flow {
        // A PIN the card accepted is always followed by SELECT AP: never left verified.
        if let Some(&last_ok) = verifies
            .iter()
            .rev()
            .find(|&&i| answered(&log[i]) == Some(StatusWord::Ok))
        {
            if !log[last_ok + 1..].iter().any(|e| is_select_ap(&e.command)) {
                return Err(format!("APDU {last_ok}: the card was left verified"));
            }
        }
    }
    Ok(())
}

/// Errors no card procedure gives for a well-formed PIN.
fn check_card_error(error: &CardError) -> Result<(), String> {
    match error {
        CardError::NoCard | CardError::SharingViolation | CardError::PinFormat => {
            Err(format!("{error:?} from a card procedure"))
        }
        CardError::WrongPin { tries_left } if !(1..=15).contains(tries_left) => {
            Err(format!("WrongPin with {tries_left} tries left"))
        }
        _ => Ok(()),
    }
}

/// The auth-certificate file of the card: a certificate, changed or not, maybe with bytes
/// after it, cut short, garbage, or a header that claims too much.
fn auth_file(rng: &mut Rng) -> (Vec<u8>, bool) {
    let original = rng.pick(CERTIFICATES).to_vec();
    match rng.below(12) {
        0 | 1 => (mutated_certificate(rng, &original), false),
        2 => {
            let n = rng.range(1, 600);
            ([original, rng.bytes(n)].concat(), true)
        }
        3 => {
            let keep = rng.below(original.len());
            (original[..keep].to_vec(), false)
        }
        4 => {
            let n = rng.range(0, 300);
            (rng.bytes(n), false)
        }
        5 => {
            // A header that claims 0x7FFE to 0x8001 bytes, over a file of that size or less.
            let claim = rng.range(0x7FFA, 0x7FFD);
            let mut file = vec![0x30, 0x82];
            file.extend_from_slice(&(claim as u16).to_be_bytes());
            let n = if rng.chance(1, 2) {
                claim
            } else {
                rng.range(0, 2000)
            };
            file.extend(rng.bytes(n));
            (file, false)
        }
        _ => (original, true),
    }
}

/// One iteration of `card_jpki`.
pub fn jpki_procedures(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let (file, genuine) = auth_file(rng);
    let tries = if rng.chance(3, 4) {
        3
    } else {
        rng.below(16) as u8
    };
    let short_reads = match rng.below(20) {
        0 => Some(rng.range(1, 4)),
        1 | 2 => Some(rng.range(1, 255)),
        _ => None,
    };
    let mutate = *rng.pick(&[(0, 1), (0, 1), (1, 100), (1, 20), (1, 5), (1, 2), (1, 1)]);
    let pin: &[u8] = if rng.chance(3, 4) { b"1234" } else { b"0000" };
    let procedure = rng.below(10);
    let challenge_len = rng.range(0, 64);
    let challenge = rng.bytes(challenge_len);
    input.note(format!(
        "procedure {procedure}, tries {tries}, short reads {short_reads:?}, mutate {}/{}, PIN {}",
        mutate.0,
        mutate.1,
        String::from_utf8_lossy(pin)
    ));
    input.record("auth certificate file", &file);
    let card = ModelCard {
        auth_cert: file.clone(),
        pin: *b"1234",
        tries,
        ap_selected: false,
        current: None,
        verified: false,
        short_reads,
    };
    let channel_rng = Rng::new(rng.next_u64());
    let mut ch = MutatingChannel {
        card,
        rng: channel_rng,
        mutate,
        log: Vec::new(),
        input,
    };
    // An honest card with a whole certificate: the procedures must succeed.
    let honest = mutate.0 == 0;
    // The first READ must hold the whole DER header (4 bytes for a certificate): a card
    // that answers fewer bytes cannot be sized, by design.
    let expected_cert = honest && genuine && short_reads.is_none_or(|k| k >= 4);
    // The outer Err is a broken promise; the inner result is the procedure's.
    let outcome: Result<(), CardError> = match procedure {
        0 => match jpki::read_auth_certificate(&mut ch) {
            Ok(cert) => {
                if der_total_len(cert.der()) != Some(cert.der().len()) {
                    return Err("the certificate read is not one whole DER object".into());
                }
                if honest && !file.starts_with(cert.der()) {
                    return Err("the certificate read is not the start of the file".into());
                }
                Ok(())
            }
            Err(e) => Err(e),
        },
        1 => match jpki::pin_tries_left(&mut ch) {
            Ok(n) if n > 15 || (honest && n != tries) => {
                return Err(format!("{n} tries left, the card has {tries}"));
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        },
        2 => jpki::verify_pin(&mut ch, pin),
        3 => jpki::verify_pin(&mut ch, pin)
            .and_then(|()| jpki::sign_challenge(&mut ch, &challenge).map(|_| ())),
        4 => {
            let result = jpki::sign_challenge(&mut ch, &challenge).map(|_| ());
            if ch.log.len() > 2 || ch.log.iter().any(|e| is_select_ap(&e.command)) {
                return Err("sign_challenge sent more than SELECT EF and SIGN".into());
            }
            result
        }
        8 => match jpki::pin_status(&mut ch) {
            // The fuzz card has no token EF: it is a card, and says its tries.
            Ok(status)
                if status
                    .tries()
                    .is_none_or(|n| n > 15 || (honest && n != tries)) =>
            {
                return Err(format!(
                    "{:?} tries left, the card has {tries}",
                    status.tries()
                ));
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        },
        // The PIN was typed for another card: this one must get neither PIN nor SIGN.
        9 => match jpki::authenticate_card(
            &mut ch,
            pin,
            &challenge,
            &jpki::CardIdentity::of(b"another card"),
        ) {
            Ok(_) => return Err("a PIN typed for another card was accepted".into()),
            Err(e) => Err(e),
        },
        _ => match jpki::authenticate(&mut ch, pin, &challenge) {
            Ok(auth) => {
                let last_sign = ch.log.iter().rev().find(|e| is_sign(&e.command));
                let signed = last_sign
                    .and_then(|e| e.answer.as_ref().ok())
                    .map(|r| r.data.as_slice());
                if signed != Some(auth.signature.as_bytes()) {
                    return Err("the signature is not what the card answered".into());
                }
                let again = AuthCertificate::from_der(auth.certificate.der().to_vec());
                if again.as_ref() != Ok(&auth.certificate) {
                    return Err("the certificate does not parse again to itself".into());
                }
                Ok(())
            }
            Err(e) => Err(e),
        },
    };
    let log = std::mem::take(&mut ch.log);
    MOST_APDUS.fetch_max(log.len(), Ordering::Relaxed);
    if let Err(error) = &outcome {
        check_card_error(error)?;
    }
    // The certificate read and the tries query never send a PIN or sign; a signature on
    // its own sends no PIN; a PIN check on its own signs nothing.
    let (may_verify, may_sign) = match procedure {
        0 | 1 | 8 | 9 => (false, false),
        2 => (true, false),
        4 => (false, true),
        _ => (true, true),
    };
    if !may_verify && log.iter().any(|e| is_verify(&e.command)) {
        return Err("the PIN went out in a procedure that takes none".into());
    }
    if !may_sign && log.iter().any(|e| is_sign(&e.command)) {
        return Err("a procedure that does not sign sent SIGN".into());
    }
    check_pin_rules(&log, (5..=7).contains(&procedure))?;
    if honest {
        let pin_ok = pin == b"1234" && tries > 0;
        let must_succeed = match procedure {
            0 => expected_cert,
            1 => true,
            2 | 3 => pin_ok,
            4 | 8 | 9 => false,
            _ => pin_ok && expected_cert,
        };
        if procedure == 9 && expected_cert && outcome != Err(CardError::CardChanged) {
            return Err(format!("a PIN for another card gave {outcome:?}"));
        }
        if must_succeed && outcome.is_err() {
            return Err(format!("an honest card gave {outcome:?}"));
        }
        if procedure == 4 && outcome != Err(CardError::PinRequired) {
            return Err(format!("signing without a PIN gave {outcome:?}"));
        }
    }
    Ok(match outcome {
        Ok(()) => Verdict::Parsed,
        Err(e) => Verdict::refused(card_kind(&e)),
    })
}
