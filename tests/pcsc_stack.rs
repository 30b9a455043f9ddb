//! The card layer through the real PC/SC stack: this test starts its own pcscd (`pcscd -f -c
//! DIR` with a vsmartcard-vpcd reader on loopback ports 40000/40001) and the demo card as a
//! separate process (`myna-kakunin virtual-card`), then reads, verifies, blocks, pulls the
//! card out mid-read, restarts pcscd, and runs the diagnostics subcommands.
//!
//! pcscd serves one socket per host (`/run/pcscd/pcscd.comm`), so every scenario runs in one
//! `#[test]`, in order; a pcscd already running makes the test fail with that message. Needs
//! `pcscd` and `vsmartcard-vpcd` (README's test command installs them). Every wait has a
//! deadline, and pcscd, the card and the temporary directory are cleaned up on the way out.
#![cfg(feature = "demo")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use myna_kakunin::card::apdu::{Command as Apdu, StatusWord};
use myna_kakunin::card::jpki::Signature;
use myna_kakunin::card::jpki::{self, JPKI_AID};
use myna_kakunin::card::pcsc::{self, PcscReader};
use myna_kakunin::card::{AuthCertificate, CardChannel, CardError, Reader};
use myna_kakunin::shell::diagnostics::CountingChannel;

const BIN: &str = env!("CARGO_BIN_EXE_myna-kakunin");
const TARO_CERT: &[u8] = include_bytes!("pki/cards/taro.cert.der");
const TARO_PIN: &str = "1234";
const ANDROID_CERT: &[u8] = include_bytes!("pki/cards/android.cert.der");
const VPCD_LIB: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
/// The reader of slot 0 (port 40000) and slot 1 (port 40001, never holds a card).
const READER: &str = "Test VPCD 00 00";
const EMPTY_READER: &str = "Test VPCD 00 01";
const CARD_PORT: u16 = 40000;

/// pcscd's presence polling is 400 ms; a card shows up or goes within about 0.5 s.
const PRESENCE_DEADLINE: Duration = Duration::from_secs(5);
/// Any single PC/SC operation or diagnostics run.
const OPERATION_DEADLINE: Duration = Duration::from_secs(20);

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("myna-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create the temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Sends `signal` to `pid` with kill(1) (std has no signals but SIGKILL).
fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `deadline` for `child` to exit; true if it did.
fn wait_exit(child: &mut Child, deadline: Duration) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        sleep(Duration::from_millis(20));
    }
    false
}

/// A pcscd of our own, stopped (SIGTERM, then SIGKILL) on drop.
struct Pcscd {
    child: Child,
    log: PathBuf,
}

impl Pcscd {
    /// Starts `pcscd -f -c config` and waits until it answers.
    fn start(config: &Path, log: PathBuf) -> Self {
        assert_no_pcscd();
        let out = fs::File::create(&log).expect("pcscd log file");
        let err = out.try_clone().expect("pcscd log file");
        let child = Command::new("pcscd")
            .arg("-f")
            .arg("-c")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start pcscd ({e}); install pcscd and vsmartcard-vpcd (README)")
            });
        let mut pcscd = Self { child, log };
        let end = Instant::now() + PRESENCE_DEADLINE;
        loop {
            if let Ok(Some(status)) = pcscd.child.try_wait() {
                panic!("pcscd exited at start ({status}):\n{}", pcscd.log_text());
            }
            if pcsc::list_readers().is_ok() {
                return pcscd;
            }
            assert!(
                Instant::now() < end,
                "pcscd did not answer:\n{}",
                pcscd.log_text()
            );
            sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM (pcscd cleans up its socket), SIGKILL if it takes over 5 s.
    fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        signal(self.child.id(), "-TERM");
        if !wait_exit(&mut self.child, Duration::from_secs(5)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = fs::remove_file("/run/pcscd/pcscd.comm");
        }
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Fails with a clear message when another pcscd owns the host's one PC/SC socket.
fn assert_no_pcscd() {
    match pcsc::list_readers() {
        Err(CardError::NoService) => {}
        other => panic!(
            "a pcscd is already running on this host ({other:?} from /run/pcscd/pcscd.comm): \
             pcsc-lite allows one per host, and this test starts its own. Stop it \
             (`pgrep -a pcscd`) and run the test again."
        ),
    }
}

/// The demo card process on vpcd, killed on drop.
struct CardProcess {
    child: Child,
}

impl CardProcess {
    fn start(card: &str, log: &Path) -> Self {
        let out = fs::File::create(log).expect("card log file");
        let child = Command::new(BIN)
            .args(["virtual-card", "--vpcd"])
            .arg(format!("127.0.0.1:{CARD_PORT}"))
            .args(["--card", card, "--log", "debug"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("start the virtual card");
        Self { child }
    }
}

impl Drop for CardProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `f` on its own thread and fails the test if it takes longer than `deadline`.
fn within<T: Send + 'static>(
    deadline: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(deadline) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer within {deadline:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

/// Waits until the card in [`READER`] is present (or absent).
fn wait_card(present: bool) {
    let end = Instant::now() + PRESENCE_DEADLINE;
    loop {
        let states = within(
            OPERATION_DEADLINE,
            "list readers",
            pcsc::list_readers_with_state,
        )
        .expect("pcscd answers");
        if states
            .iter()
            .any(|s| s.name == READER && s.card_present == present)
        {
            return;
        }
        assert!(
            Instant::now() < end,
            "the card did not become {} within {PRESENCE_DEADLINE:?}: {states:?}",
            if present { "present" } else { "absent" }
        );
        sleep(Duration::from_millis(50));
    }
}

/// Runs the built binary with `args`; (exit code, stdout, stderr), all within the deadline.
fn run_bin(args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    if !wait_exit(&mut child, OPERATION_DEADLINE) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("myna-kakunin {args:?} did not finish within {OPERATION_DEADLINE:?}");
    }
    let output = child.wait_with_output().expect("collect the output");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs `procedure` on [`READER`]'s card inside one transaction, within the deadline.
fn on_card<T: Send + 'static>(
    what: &str,
    procedure: impl FnOnce(&mut dyn CardChannel) -> Result<T, CardError> + Send + 'static,
) -> Result<T, CardError> {
    within(OPERATION_DEADLINE, what, move || {
        PcscReader::new(Some(READER.to_owned())).with_channel(procedure)
    })
}

/// SELECT AP, SELECT EF 0018, VERIFY `pin`: the VERIFY's status word.
fn verify(pin: &'static str) -> Result<StatusWord, CardError> {
    on_card("VERIFY", move |ch| {
        ch.transmit(&Apdu::select_aid(&JPKI_AID))?;
        ch.transmit(&Apdu::select_ef(jpki::EF_AUTH_PIN))?;
        let verify = Apdu::verify(pin.as_bytes()).map_err(|_| CardError::ReaderFault)?;
        Ok(ch.transmit(&verify)?.sw)
    })
}

fn tries_left() -> Result<u8, CardError> {
    on_card("tries query", |ch| jpki::pin_tries_left(ch))
}

#[test]
fn the_card_layer_through_pcscd_and_vpcd() {
    let tmp = TempDir::new("pcsc-stack");
    assert!(
        Path::new(VPCD_LIB).exists(),
        "{VPCD_LIB} is missing: install vsmartcard-vpcd (README's test command)"
    );

    lists_the_demo_cards();
    no_service();
    no_reader(&tmp);

    let config = tmp.0.join("conf");
    fs::create_dir_all(&config).expect("config dir");
    fs::write(
        config.join("vpcd"),
        format!(
            "FRIENDLYNAME \"Test VPCD\"\nDEVICENAME /dev/null:0x9C40\n\
             LIBPATH {VPCD_LIB}\nCHANNELID 0x9C40\n"
        ),
    )
    .expect("write reader.conf");
    let mut pcscd = Pcscd::start(&config, tmp.0.join("pcscd.log"));
    readers_without_a_card();

    let card_log = tmp.0.join("card.log");
    let card = CardProcess::start("taro", &card_log);
    wait_card(true);
    readers_with_a_card();
    read_certificate();
    apdus_take_no_delayed_ack();
    pin_status_uses_no_try();
    wrong_pin_counts_down();

    // pcscd restarts; the card process reconnects by itself and keeps its PIN tries.
    pcscd.stop();
    pcscd = Pcscd::start(&config, tmp.0.join("pcscd-2.log"));
    wait_card(true);
    assert_eq!(tries_left(), Ok(2), "tries survive the reconnect");
    right_pin_restores_the_tries();
    opensc_uses_it_as_a_my_number_card(&tmp);
    bench_runs_through_the_stack();
    card_api::pin_flow_and_signature();

    card_removed_between_two_apdus(card);
    let card = CardProcess::start("taro", &tmp.0.join("card-2.log"));
    wait_card(true);
    blocked_after_three_wrong_pins();
    card_api::blocked();
    drop(card);
    wait_card(false);

    // An Android phone's スマホ用電子証明書: its certificate opens only to its PIN.
    let phone = CardProcess::start("android", &tmp.0.join("card-android.log"));
    wait_card(true);
    card_api::android_phone();
    drop(phone);

    pcscd.stop();
    let (code, _, stderr) = run_bin(&["pin-status"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("NoService"), "{stderr}");
}

/// Runs a tool with a deadline; its exit code and standard output.
fn run_tool(program: &str, args: &[&str]) -> (i32, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} does not run ({e}): install opensc (README's test command)")
        });
    if !wait_exit(&mut child, OPERATION_DEADLINE) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{program} {args:?} did not finish within {OPERATION_DEADLINE:?}");
    }
    let output = child.wait_with_output().expect("collect the output");
    let code = output.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Other software that speaks JPKI works with the virtual card as with a real one: OpenSC's
/// own driver recognises it, lists its certificates and PINs, and signs with the
/// authentication key; the signature verifies against the certificate.
fn opensc_uses_it_as_a_my_number_card(tmp: &TempDir) {
    let (code, name) = run_tool("opensc-tool", &["--reader", READER, "--name"]);
    assert_eq!(
        (code, name.trim()),
        (0, "jpki"),
        "OpenSC's JPKI driver takes the card"
    );
    let (code, certs) = run_tool("pkcs15-tool", &["--reader", READER, "--list-certificates"]);
    assert_eq!(code, 0, "{certs}");
    assert!(
        certs.contains("User Authentication Certificate") && certs.contains("0705D990"),
        "{certs}"
    );
    assert!(
        certs.contains("Digital Signature Certificate"),
        "the signature side is there too: {certs}"
    );
    let (code, pins) = run_tool("pkcs15-tool", &["--reader", READER, "--list-pins"]);
    assert_eq!(code, 0, "{pins}");
    assert!(
        pins.contains("User Authentication PIN") && pins.contains("Tries left     : 3"),
        "{pins}"
    );

    let challenge = b"a challenge the center would send";
    let digest = ring::digest::digest(&ring::digest::SHA256, challenge);
    let input = tmp.0.join("digest.bin");
    let output = tmp.0.join("signature.bin");
    fs::write(&input, digest.as_ref()).expect("write the digest");
    let (code, out) = run_tool(
        "pkcs15-crypt",
        &[
            "--reader",
            READER,
            "--sign",
            "--key",
            "01",
            "--pin",
            TARO_PIN,
            "--sha-256",
            "--pkcs1",
            "-i",
            &input.to_string_lossy(),
            "-o",
            &output.to_string_lossy(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let signature = fs::read(&output).expect("the signature");
    let cert = AuthCertificate::from_der(TARO_CERT.to_vec()).expect("demo certificate");
    let signature = Signature::from_slice(&signature).expect("256 bytes");
    assert!(
        signature.verifies(&cert, challenge),
        "OpenSC's signature verifies with the certificate"
    );
    assert_eq!(tries_left(), Ok(3), "the right PIN left all tries");
}

/// `virtual-card --list`: one card a line, id, demo PIN, what it shows; an unknown card is
/// a usage error.
fn lists_the_demo_cards() {
    let (code, stdout, stderr) = run_bin(&["virtual-card", "--list"]);
    assert_eq!(code, 0, "{stderr}");
    let taro = stdout.lines().next().expect("at least one card");
    let fields: Vec<&str> = taro.split('\t').collect();
    assert_eq!(fields.len(), 3, "{taro}");
    assert_eq!((fields[0], fields[1]), ("taro", TARO_PIN));
    assert!(!fields[2].is_empty());
    assert!(
        stdout.lines().all(|l| l.split('\t').count() == 3),
        "{stdout}"
    );
    let (code, _, stderr) = run_bin(&["virtual-card", "--card", "nobody"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no demo card nobody"), "{stderr}");
}

/// `bench-card` measures both flows through the stack and leaves the tries as they were.
fn bench_runs_through_the_stack() {
    let (code, stdout, stderr) = run_bin(&["bench-card", "--reader", READER, "--runs", "3"]);
    assert_eq!(code, 0, "{stderr}");
    let reads = TARO_CERT.len().div_ceil(256);
    for line in [
        format!("reader \"{READER}\", 3 runs after 1 warm-up"),
        format!(
            "certificate read ({} bytes): {} APDUs",
            TARO_CERT.len(),
            2 + reads
        ),
        format!("READ BINARY {reads} "),
        "PIN flow: 5 APDUs".to_owned(),
        "VERIFY ".to_owned(),
        "SIGN ".to_owned(),
    ] {
        assert!(stdout.contains(&line), "{line} in {stdout}");
    }
    assert_eq!(tries_left(), Ok(3));
}

/// No pcscd: every entry point answers NoService at once.
fn no_service() {
    assert_no_pcscd();
    let read = within(OPERATION_DEADLINE, "read without pcscd", || {
        PcscReader::new(None).read_auth_certificate()
    });
    assert_eq!(read, Err(CardError::NoService));
    assert_eq!(
        within(OPERATION_DEADLINE, "states", pcsc::list_readers_with_state),
        Err(CardError::NoService)
    );
    let (code, stdout, stderr) = run_bin(&["readers"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.contains("myna-kakunin readers: NoService"),
        "{stderr}"
    );
    assert!(
        stderr.contains("スマートカードサービスが動いていません"),
        "{stderr}"
    );
    let (code, stdout, _) = run_bin(&["read-cert", "--json"]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with(r#"{"error":"NoService","#), "{stdout}");
}

/// pcscd with no reader configured: an empty list, and NoReader for a read.
fn no_reader(tmp: &TempDir) {
    let empty = tmp.0.join("empty-conf");
    fs::create_dir_all(&empty).expect("empty config dir");
    let pcscd = Pcscd::start(&empty, tmp.0.join("pcscd-empty.log"));
    assert_eq!(
        within(OPERATION_DEADLINE, "states", pcsc::list_readers_with_state),
        Ok(Vec::new())
    );
    let read = within(OPERATION_DEADLINE, "read without a reader", || {
        PcscReader::new(None).read_auth_certificate()
    });
    assert_eq!(read, Err(CardError::NoReader));
    let (code, _, stderr) = run_bin(&["readers"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("NoReader"), "{stderr}");
    assert!(
        stderr.contains("カードリーダーが見つかりません"),
        "{stderr}"
    );
    pcscd.stop();
}

/// Both vpcd slots are listed, empty; an unknown name is NoReader, an empty one NoCard.
fn readers_without_a_card() {
    let (code, stdout, stderr) = run_bin(&["readers"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("{READER}\tno card\n{EMPTY_READER}\tno card\n")
    );
    let read = |name: &'static str| {
        within(OPERATION_DEADLINE, "read", move || {
            PcscReader::new(Some(name.to_owned())).read_auth_certificate()
        })
    };
    assert_eq!(read("No Such Reader"), Err(CardError::NoReader));
    assert_eq!(read(EMPTY_READER), Err(CardError::NoCard));
    let (code, _, stderr) = run_bin(&["read-cert", "--reader", "No Such Reader"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("NoReader"), "{stderr}");
    let (code, _, stderr) = run_bin(&["pin-status", "--reader", EMPTY_READER]);
    assert_eq!(code, 1);
    assert!(stderr.contains("NoCard"), "{stderr}");
    assert!(
        stderr.contains("カードリーダーにカードがありません"),
        "{stderr}"
    );
}

fn readers_with_a_card() {
    let (code, stdout, stderr) = run_bin(&["readers"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("{READER}\tcard present\n{EMPTY_READER}\tno card\n")
    );
}

/// The certificate in exactly 2 SELECT + ⌈N/256⌉ READ BINARY, through the library and the
/// `read-cert` subcommand.
fn read_certificate() {
    let (cert, labels) = on_card("read the certificate", |ch| {
        let mut counting = CountingChannel::new(ch);
        let cert = jpki::read_auth_certificate(&mut counting)?;
        let labels: Vec<String> = counting.exchanges().iter().map(|e| e.label()).collect();
        Ok((cert, labels))
    })
    .expect("taro reads");
    assert_eq!(cert.der(), TARO_CERT);
    assert_eq!(cert.serial_hex(), "0705D990");
    let reads = TARO_CERT.len().div_ceil(256);
    let mut expected = vec!["SELECT AP".to_owned(), "SELECT EF 000A".to_owned()];
    expected.extend((0..reads).map(|_| "READ BINARY".to_owned()));
    assert_eq!(labels, expected);

    // The kiosk's own entry point, reader chosen as the first with a card.
    let read = within(OPERATION_DEADLINE, "read", || {
        PcscReader::new(None).read_auth_certificate()
    });
    assert_eq!(read.map(|c| c.serial_hex()), Ok("0705D990".to_owned()));

    let (code, stdout, stderr) = run_bin(&["read-cert", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    for field in [
        format!(r#""reader":"{READER}""#),
        r#""serial":"0705D990""#.to_owned(),
        r#""not_before":"2024-01-22T00:00:00Z""#.to_owned(),
        format!(r#""length":{}"#, TARO_CERT.len()),
        // SELECT AP, the token (SELECT EF 0006, READ), SELECT EF 000A, the READs.
        format!(
            r#""apdus":{},"selects":3,"reads":{},"ms":"#,
            4 + reads,
            reads + 1
        ),
        r#""holder":"My Number Card""#.to_owned(),
        r#""issuer":"C=JP, O=JPKI, OU=JPKI for user authentication"#.to_owned(),
    ] {
        assert!(stdout.contains(&field), "{field} in {stdout}");
    }
    let (code, stdout, stderr) = run_bin(&["read-cert", "--reader", READER]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("serial      0705D990\n"), "{stdout}");
}

/// vpcd sends each message's length and payload in two writes without TCP_NODELAY; unless
/// the card re-arms TCP_QUICKACK before every read, each APDU waits for the 40 ms delayed
/// ACK. Not a benchmark: the bound is far above the ~0.1 ms an APDU takes and far below
/// the 40 ms floor of the delayed ACK.
fn apdus_take_no_delayed_ack() {
    let mut times = on_card("30 SELECTs", |ch| {
        let mut counting = CountingChannel::new(ch);
        for _ in 0..30 {
            counting.transmit(&Apdu::select_aid(&JPKI_AID))?;
        }
        Ok(counting
            .into_exchanges()
            .into_iter()
            .map(|e| e.elapsed)
            .collect::<Vec<_>>())
    })
    .expect("selects");
    times.sort();
    let median = times[times.len() / 2];
    assert!(
        median < Duration::from_millis(20),
        "median APDU {median:?}: the delayed-ACK signature (is TCP_QUICKACK re-armed?)"
    );
}

/// The tries query, repeated, uses no try; `pin-status` says so.
fn pin_status_uses_no_try() {
    for _ in 0..3 {
        assert_eq!(tries_left(), Ok(3));
    }
    for _ in 0..2 {
        let (code, stdout, stderr) = run_bin(&["pin-status"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            stdout,
            format!(
                "reader      {READER}\nholder      My Number Card\n\
                 tries left  3 of 3  (asked without using a try)\n"
            )
        );
    }
    assert_eq!(tries_left(), Ok(3));
}

fn wrong_pin_counts_down() {
    assert_eq!(verify("0000"), Ok(StatusWord::WrongPin { tries_left: 2 }));
    assert_eq!(tries_left(), Ok(2));
    let (code, stdout, _) = run_bin(&["pin-status", "--reader", READER]);
    assert_eq!(code, 0);
    assert!(stdout.contains("tries left  2 of 3"), "{stdout}");
}

fn right_pin_restores_the_tries() {
    assert_eq!(verify(TARO_PIN), Ok(StatusWord::Ok));
    assert_eq!(tries_left(), Ok(3));
}

/// The card process dies after the first APDU of a read: the read fails cleanly, at once.
fn card_removed_between_two_apdus(card: CardProcess) {
    let result = on_card("a read with the card pulled out", move |ch| {
        let first = ch.transmit(&Apdu::select_aid(&JPKI_AID))?;
        assert_eq!(first.sw, StatusWord::Ok);
        drop(card); // killed and reaped: the socket to vpcd is closed
        jpki::read_auth_certificate(ch)
    });
    assert!(
        matches!(result, Err(CardError::CardRemoved | CardError::NoCard)),
        "{result:?}"
    );
    wait_card(false);
    let read = within(OPERATION_DEADLINE, "read", || {
        PcscReader::new(Some(READER.to_owned())).read_auth_certificate()
    });
    assert_eq!(read, Err(CardError::NoCard));
    let (code, _, stderr) = run_bin(&["read-cert"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("NoCard"), "{stderr}");
}

/// Three wrong PINs block it; then even the right one is refused, and `pin-status` says 0.
fn blocked_after_three_wrong_pins() {
    assert_eq!(tries_left(), Ok(3), "a fresh card process");
    assert_eq!(verify("9999"), Ok(StatusWord::WrongPin { tries_left: 2 }));
    assert_eq!(verify("9999"), Ok(StatusWord::WrongPin { tries_left: 1 }));
    assert_eq!(
        verify("9999"),
        Ok(StatusWord::PinBlocked(
            myna_kakunin::card::apdu::BlockedBy::NoTriesLeft
        ))
    );
    assert_eq!(tries_left(), Ok(0));
    assert!(matches!(verify(TARO_PIN), Ok(StatusWord::PinBlocked(_))));
    let (code, stdout, stderr) = run_bin(&["pin-status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("tries left  0 of 3"), "{stdout}");
    assert!(stdout.contains("ロック"), "{stdout}");
}

/// The PIN flow through the product's API (`Reader::authenticate`, `jpki::verify_pin`,
/// `jpki::sign_challenge`, `CardError::WrongPin`/`PinBlocked`), with the signature checked
/// by ring against the certificate's own key.
mod card_api {
    use super::*;
    use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    /// The RSAPublicKey inside a SubjectPublicKeyInfo (the BIT STRING's content).
    fn rsa_public_key(spki: &[u8]) -> Vec<u8> {
        fn tlv(b: &[u8]) -> (u8, &[u8], &[u8]) {
            let (tag, len_byte) = (b[0], b[1]);
            let (len, start) = if len_byte < 0x80 {
                (usize::from(len_byte), 2)
            } else {
                let n = usize::from(len_byte & 0x7F);
                let len = b[2..2 + n]
                    .iter()
                    .fold(0usize, |a, &x| a << 8 | usize::from(x));
                (len, 2 + n)
            };
            (tag, &b[start..start + len], &b[start + len..])
        }
        let (_, inner, _) = tlv(spki);
        let (_, _algorithm, rest) = tlv(inner);
        let (tag, bits, _) = tlv(rest);
        assert_eq!(
            (tag, bits[0]),
            (0x03, 0),
            "a BIT STRING with no unused bits"
        );
        bits[1..].to_vec()
    }

    /// The card on the reader as the PIN pad learns it (tries and identity).
    fn status() -> jpki::PinStatus {
        within(OPERATION_DEADLINE, "PIN status", || {
            PcscReader::new(Some(READER.to_owned())).pin_status()
        })
        .expect("the card answers its PIN status")
    }

    pub fn pin_flow_and_signature() {
        let challenge = b"pcsc stack test challenge".to_vec();
        let card = status().card;
        // A PIN typed for another card is not sent to this one: no try is spent.
        let other = jpki::CardIdentity::of(b"another card");
        let refused = within(OPERATION_DEADLINE, "another card", move || {
            PcscReader::new(Some(READER.to_owned())).authenticate(b"0000", b"x", &other)
        });
        assert_eq!(refused.err(), Some(CardError::CardChanged));
        assert_eq!(tries_left(), Ok(3));
        let wrong = within(OPERATION_DEADLINE, "wrong PIN", move || {
            PcscReader::new(Some(READER.to_owned())).authenticate(b"0000", b"x", &card)
        });
        assert_eq!(wrong.err(), Some(CardError::WrongPin { tries_left: 2 }));
        let auth = within(OPERATION_DEADLINE, "right PIN", move || {
            PcscReader::new(Some(READER.to_owned())).authenticate(
                TARO_PIN.as_bytes(),
                &challenge,
                &card,
            )
        })
        .expect("the right PIN signs");
        assert_eq!(auth.certificate.der(), TARO_CERT);
        let key = rsa_public_key(auth.certificate.subject_public_key_info());
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(b"pcsc stack test challenge", auth.signature.as_bytes())
            .expect("the signature verifies against the certificate's key");
        assert_eq!(tries_left(), Ok(3));
        // The same through the channel-level procedures.
        let signature = on_card("verify and sign", |ch| {
            jpki::verify_pin(ch, TARO_PIN.as_bytes())?;
            jpki::sign_challenge(ch, b"second")
        })
        .expect("signs");
        assert_eq!(signature.as_bytes().len(), 256);
    }

    /// The Android profile through pcscd + vpcd: the holder is named, its certificate is
    /// not read without the PIN (and no try is spent asking), the PIN opens it (目視), and
    /// the PIN flow signs and reads it.
    pub fn android_phone() {
        let (code, stdout, stderr) = run_bin(&["read-cert"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("holder      Android phone"), "{stdout}");
        assert!(stdout.contains("not read; no PIN sent"), "{stdout}");
        let (code, stdout, stderr) = run_bin(&["pin-status", "--reader", READER]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("holder      Android phone"), "{stdout}");
        assert!(stdout.contains("tries left  3 of 3"), "{stdout}");
        let read = within(OPERATION_DEADLINE, "read without the PIN", || {
            PcscReader::new(Some(READER.to_owned())).read_auth_certificate()
        });
        assert_eq!(read.err(), Some(CardError::PinFirst));
        assert_eq!(tries_left(), Ok(3), "nothing spent");

        let status = status();
        assert_eq!(
            status.pin,
            jpki::PinHolder::AndroidPhone { tries: 3 },
            "an Android phone and its tries"
        );
        let card = status.card;
        let wrong = within(OPERATION_DEADLINE, "wrong PIN", move || {
            PcscReader::new(Some(READER.to_owned())).read_auth_certificate_with_pin(b"0000", &card)
        });
        assert_eq!(wrong.err(), Some(CardError::WrongPin { tries_left: 2 }));
        let cert = within(OPERATION_DEADLINE, "目視 with the PIN", move || {
            PcscReader::new(Some(READER.to_owned()))
                .read_auth_certificate_with_pin(TARO_PIN.as_bytes(), &card)
        })
        .expect("the PIN opens the certificate");
        assert_eq!(cert.der(), ANDROID_CERT);
        assert_eq!(cert.serial_hex(), "0805D9A0");
        assert_eq!(tries_left(), Ok(3), "the right PIN restored the tries");

        let auth = within(OPERATION_DEADLINE, "the phone's PIN flow", move || {
            PcscReader::new(Some(READER.to_owned())).authenticate(
                TARO_PIN.as_bytes(),
                b"phone challenge",
                &card,
            )
        })
        .expect("the phone signs");
        assert_eq!(auth.certificate.der(), ANDROID_CERT);
        let key = rsa_public_key(auth.certificate.subject_public_key_info());
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(b"phone challenge", auth.signature.as_bytes())
            .expect("the phone's signature verifies against its certificate's key");
        // Logged out after the flow: the certificate is closed again.
        assert_eq!(
            on_card("read without the PIN", |ch| jpki::read_auth_certificate(ch)).err(),
            Some(CardError::UnexpectedStatus(
                StatusWord::SecurityStatusNotSatisfied
            ))
        );
    }

    pub fn blocked() {
        let card = status().card;
        let result = within(OPERATION_DEADLINE, "blocked PIN", move || {
            PcscReader::new(Some(READER.to_owned())).authenticate(TARO_PIN.as_bytes(), b"x", &card)
        });
        assert_eq!(result.err(), Some(CardError::PinBlocked));
    }
}
