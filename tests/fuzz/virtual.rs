//! The demo's card side (demo build): the virtual card's command APDU parser
//! (`VirtualCard::transmit_raw`) and the vpcd protocol (`VpcdCard::feed`), fed command
//! sequences built from the JPKI commands and mutated.

use myna_kakunin::card::apdu::{Response, StatusWord};
use myna_kakunin::card::jpki::JPKI_AID;
use myna_kakunin::card::virtual_card::{demo_cards, VirtualCard};
use myna_kakunin::shell::vpcd::{frame, VpcdCard};

use crate::card::reference_command;
use crate::harness::{Input, Verdict};
use crate::mutate;
use crate::rng::Rng;

const FIDS: &[u16] = &[
    0x0001, 0x0002, 0x0006, 0x000A, 0x000B, 0x0017, 0x0018, 0x001A, 0x001B, 0x0000, 0xFFFF,
];

/// One command: a JPKI command in one of its encodings, or bytes.
fn command(rng: &mut Rng, pin: &[u8]) -> Vec<u8> {
    let mut cmd = match rng.below(10) {
        0 => [&[0x00, 0xA4, 0x04, 0x0C, 0x0A][..], &JPKI_AID].concat(),
        1 | 2 => {
            let fid = rng.pick(FIDS).to_be_bytes();
            vec![0x00, 0xA4, 0x02, 0x0C, 0x02, fid[0], fid[1]]
        }
        3 => {
            let p1 = if rng.chance(1, 4) {
                0x80 | rng.below(0x20) as u8
            } else {
                rng.below(8) as u8
            };
            let p2 = rng.next_u64() as u8;
            if rng.chance(1, 3) {
                let le = (rng.below(0x1_0000) as u16).to_be_bytes();
                vec![0x00, 0xB0, p1, p2, 0x00, le[0], le[1]]
            } else {
                vec![0x00, 0xB0, p1, p2, rng.next_u64() as u8]
            }
        }
        4 => vec![0x00, 0x20, 0x00, *rng.pick(&[0x80, 0x81, 0x98, 0x9B, 0x9F])],
        5 | 6 => {
            let data = if rng.chance(1, 2) {
                pin.to_vec()
            } else {
                let n = rng.range(1, 20);
                rng.bytes(n)
            };
            [&[0x00, 0x20, 0x00, 0x80, data.len() as u8][..], &data].concat()
        }
        7 => {
            let n = rng.range(1, 20);
            [&[0x00, 0x24, 0x01, 0x80, n as u8][..], &rng.bytes(n)].concat()
        }
        8 => {
            let n = *rng.pick(&[51, 51, 1, 245, 246, 255]);
            if rng.chance(1, 4) {
                let lc = (n as u16).to_be_bytes();
                [
                    &[0x80, 0x2A, 0x00, 0x80, 0x00, lc[0], lc[1]][..],
                    &rng.bytes(n),
                    &[0x00, 0x00],
                ]
                .concat()
            } else {
                [
                    &[0x80, 0x2A, 0x00, 0x80, n as u8][..],
                    &rng.bytes(n),
                    &[0x00],
                ]
                .concat()
            }
        }
        _ => {
            let n = rng.range(0, 12);
            rng.bytes(n)
        }
    };
    if rng.chance(1, 5) {
        mutate::bytes(rng, &mut cmd, &[&[0x00], &[0xFF], &[0x00, 0x00]], None, 2);
    }
    cmd
}

/// A JPKI session: SELECT AP, the PIN, the key, a signature, reads, or anything.
fn session(rng: &mut Rng, pin: &[u8]) -> Vec<Vec<u8>> {
    let mut cmds = Vec::new();
    if rng.chance(3, 4) {
        cmds.push([&[0x00, 0xA4, 0x04, 0x0C, 0x0A][..], &JPKI_AID].concat());
    }
    if rng.chance(1, 4) {
        cmds.push(vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]);
        cmds.push([&[0x00, 0x20, 0x00, 0x80, 0x04][..], pin].concat());
        cmds.push(vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17]);
    }
    for _ in 0..rng.range(1, 6) {
        cmds.push(command(rng, pin));
    }
    cmds
}

/// One iteration of `virtual_card`: a command sequence through `transmit_raw`, then the
/// same sequence as vpcd messages, whole and in random pieces, to two copies of the card.
pub fn step(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let demo = rng.pick(demo_cards());
    let pin = demo.pin.as_bytes();
    let cmds = session(rng, pin);
    input.note(format!("demo card {}", demo.id));
    for (i, cmd) in cmds.iter().enumerate() {
        input.record(format!(">> {i}"), cmd);
    }
    let mut card = demo.insert();
    if card.transmit_raw(&cmds[0]) != Vec::<u8>::new() {
        return Err("an unpowered card answered".into());
    }
    card.power_on();
    let mut refused = None;
    for cmd in &cmds {
        let raw = card.transmit_raw(cmd);
        let response =
            Response::from_bytes(&raw).map_err(|_| format!("{} bytes answered", raw.len()))?;
        if response.sw != StatusWord::Ok && !response.data.is_empty() {
            return Err(format!("data with status {}", response.sw));
        }
        match reference_command(cmd) {
            Some((header, data, ne)) => {
                if !response.data.is_empty() && ne.is_none_or(|ne| response.data.len() > ne) {
                    return Err(format!(
                        "{} bytes answered to Ne {ne:?}",
                        response.data.len()
                    ));
                }
                if header[..2] == [0x80, 0x2A]
                    && response.sw == StatusWord::Ok
                    && response.data.len() != 256
                {
                    return Err(format!(
                        "a {}-byte signature of {} bytes",
                        response.data.len(),
                        data.len()
                    ));
                }
            }
            None if response.sw != StatusWord::WrongLength => {
                return Err(format!("a malformed command answered {}", response.sw));
            }
            None => {}
        }
        if response.sw != StatusWord::Ok {
            refused = Some(response.sw);
        }
    }
    vpcd(rng, &cmds, demo.insert(), demo.insert(), input)?;
    Ok(match refused {
        None => Verdict::Parsed,
        Some(StatusWord::WrongPin { .. }) => Verdict::refused("WrongPin"),
        Some(StatusWord::Other(word)) => Verdict::refused(format!("Other({word:04X})")),
        Some(sw) => Verdict::refused(format!("{sw:?}")),
    })
}

/// The vpcd stream of `cmds` (with control messages and odd frames), fed whole to one card
/// and in random pieces to another: the replies must be the same bytes, and well framed.
fn vpcd(
    rng: &mut Rng,
    cmds: &[Vec<u8>],
    a: VirtualCard,
    b: VirtualCard,
    input: &mut Input,
) -> Result<(), String> {
    let mut stream = Vec::new();
    stream.extend(frame(&[0x01]).expect("short"));
    stream.extend(frame(&[0x04]).expect("short"));
    for cmd in cmds {
        match rng.below(12) {
            0 => {
                stream.extend(frame(&[*rng.pick(&[0x00, 0x02, 0x03, 0x04, 0xFF])]).expect("short"))
            }
            1 => stream.extend(frame(&[]).expect("short")),
            _ => {}
        }
        stream.extend(frame(cmd).expect("short"));
    }
    if rng.chance(1, 4) {
        // A header, or a header and part of a payload, left hanging.
        stream.extend_from_slice(&[0x00, 0x10, 0x00]);
    }
    input.record("vpcd stream", &stream);
    let mut whole = VpcdCard::new(a);
    let all_at_once = whole.feed(&stream);
    let mut pieces = VpcdCard::new(b);
    let mut replies = Vec::new();
    let mut rest = &stream[..];
    while !rest.is_empty() {
        let n = rng.range(1, rest.len().min(9));
        replies.extend(pieces.feed(&rest[..n]));
        rest = &rest[n..];
    }
    if replies != all_at_once {
        return Err("the replies depend on how the stream was split".into());
    }
    let mut rest = &replies[..];
    while !rest.is_empty() {
        let [hi, lo, tail @ ..] = rest else {
            return Err("a reply frame without its length".into());
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        // An unpowered card answers an APDU with nothing: a 0-byte frame.
        if tail.len() < len || len == 1 {
            return Err(format!("a reply frame of {len} bytes"));
        }
        rest = &tail[len..];
    }
    Ok(())
}
