//! Accounts, devices, sessions and challenges of the reference center, with the manual's
//! rules: the password rules (p.10), five wrong passwords lock the account for 30 minutes
//! (p.15), only a registered device logs in (p.5), deregistration (p.13) ends the
//! device's sessions at once, logout (p.14) ends the session.
//!
//! Secrets are kept only as digests: passwords as salted PBKDF2-HMAC-SHA256, activation
//! codes, device credentials and tokens as SHA-256 (they are 256-bit random values, or
//! compared once per registration). Time is an input (`now`, Unix seconds), so tests move
//! it instead of waiting.

use core::num::NonZeroU32;
use std::collections::BTreeSet;

use ring::digest::{digest, SHA256};
use ring::pbkdf2;
use ring::rand::{SecureRandom, SystemRandom};

use super::super::account::{
    check_password_rules, InstitutionCode, Registration, UserId, LOCKOUT_SECONDS,
    MAX_PASSWORD_FAILURES,
};
use super::super::info::NoticeId;
use super::super::model::{Challenge, ChallengeId};
use super::super::wire::account::{
    LoginRequest, PasswordChangeRequest, RefreshRequest, RegistrationRequest,
};
use super::super::wire::ErrorCode;
use crate::sensitive::SensitiveText;

/// Lifetime of an access token, in seconds: 12 hours, a working day.
pub const ACCESS_TOKEN_SECONDS: u32 = 12 * 3600;

/// Lifetime of a refresh token, in seconds: 30 days; each refresh starts a new one.
pub const REFRESH_TOKEN_SECONDS: u32 = 30 * 24 * 3600;

/// Lifetime of a challenge, in seconds: 2 minutes.
pub const CHALLENGE_SECONDS: u32 = 120;

/// Challenges kept per device; issuing more forgets the oldest.
const MAX_CHALLENGES_PER_DEVICE: usize = 16;

/// How long an expired challenge is remembered, so that using it says "expired" rather
/// than "unknown".
const EXPIRED_CHALLENGE_MEMORY_SECONDS: i64 = 3600;

/// PBKDF2 iterations for account passwords in this demo center.
const PBKDF2_ITERATIONS: u32 = 10_000;

/// Random bytes in a token, a credential or a nonce.
const RANDOM_BYTES: usize = 32;

/// A SHA-256 digest.
type Digest = [u8; 32];

/// The SHA-256 digest of a secret.
fn digest_of(secret: &str) -> Digest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
    out
}

/// PBKDF2 iterations as ring wants them.
fn iterations() -> NonZeroU32 {
    // The constant is not zero.
    NonZeroU32::new(PBKDF2_ITERATIONS).unwrap_or(NonZeroU32::MIN)
}

/// One account of the ユーザ設定情報 sheet.
struct Account {
    institution_code: String,
    user_id: String,
    salt: [u8; 16],
    password_hash: Digest,
    activation: Digest,
    failures: u8,
    locked_until: Option<i64>,
}

impl Account {
    /// Checks `password`, counting failures: the fifth wrong one in a row locks the account
    /// for [`LOCKOUT_SECONDS`]; while locked, even the right password is refused; after the
    /// lock the count starts again. A right password resets the count.
    fn verify_password(&mut self, password: &str, now: i64) -> Result<(), ErrorCode> {
        if let Some(until) = self.locked_until {
            if now < until {
                return Err(ErrorCode::AccountLocked);
            }
            self.locked_until = None;
            self.failures = 0;
        }
        let right = pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(),
            &self.salt,
            password.as_bytes(),
            &self.password_hash,
        )
        .is_ok();
        if right {
            self.failures = 0;
            return Ok(());
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= MAX_PASSWORD_FAILURES {
            self.locked_until = Some(now.saturating_add(LOCKOUT_SECONDS));
            log::info!("reference center: an account is locked for 30 minutes");
            return Err(ErrorCode::AccountLocked);
        }
        Err(ErrorCode::WrongCredentials)
    }
}

/// A registered device.
struct Device {
    id: u64,
    credential: Digest,
    institution_code: String,
    read: BTreeSet<NoticeId>,
}

/// A session: its tokens' digests and expiry times.
struct SessionRecord {
    device: u64,
    user_id: String,
    access: Digest,
    access_expires: i64,
    refresh: Digest,
    refresh_expires: i64,
    /// The refresh token the current one replaced, with its own expiry (never extended):
    /// accepted once more while the current one is unused, because a kiosk that crashed
    /// between the center's answer and saving the new token still holds only this one.
    /// Gone once the current token or this one is used.
    previous: Option<(Digest, i64)>,
}

impl SessionRecord {
    /// Whether `token` (a digest) renews this session at `now`: the current refresh token,
    /// or the previous one within its reuse window and its own 30 days.
    fn renewable_with(&self, token: &Digest, now: i64) -> bool {
        let current = self.refresh == *token && now < self.refresh_expires;
        let previous = self
            .previous
            .is_some_and(|(digest, expires)| digest == *token && now < expires);
        current || previous
    }
}

/// An issued challenge.
struct ChallengeRecord {
    id: String,
    nonce: Vec<u8>,
    device: u64,
    expires: i64,
}

/// The tokens of a new session, to send once.
pub(super) struct Issued {
    /// The access token.
    pub access: SensitiveText,
    /// The refresh token.
    pub refresh: SensitiveText,
}

/// Who a valid access token belongs to.
pub(super) struct Authenticated {
    /// The device's internal ID.
    pub device: u64,
    /// The account's user ID.
    pub user_id: String,
}

/// Everything about accounts, devices, sessions and challenges.
pub(super) struct Accounts {
    rng: SystemRandom,
    accounts: Vec<Account>,
    devices: Vec<Device>,
    sessions: Vec<SessionRecord>,
    challenges: Vec<ChallengeRecord>,
    next_device: u64,
}

impl Default for Accounts {
    fn default() -> Accounts {
        Accounts {
            rng: SystemRandom::new(),
            accounts: Vec::new(),
            devices: Vec::new(),
            sessions: Vec::new(),
            challenges: Vec::new(),
            next_device: 1,
        }
    }
}

impl Accounts {
    /// How many accounts, devices and sessions there are (for Debug).
    pub(super) fn counts(&self) -> (usize, usize, usize) {
        (self.accounts.len(), self.devices.len(), self.sessions.len())
    }

    /// Random bytes, or [`ErrorCode::Internal`] if the OS has none.
    fn random(&self, count: usize) -> Result<Vec<u8>, ErrorCode> {
        let mut bytes = vec![0u8; count];
        self.rng.fill(&mut bytes).map_err(|_| {
            log::error!("reference center: no randomness from the OS");
            ErrorCode::Internal
        })?;
        Ok(bytes)
    }

    /// A fresh random token: [`RANDOM_BYTES`] bytes in lowercase hex.
    fn token(&self) -> Result<SensitiveText, ErrorCode> {
        let mut bytes = self.random(RANDOM_BYTES)?;
        let text = bytes.iter().map(|b| format!("{b:02x}")).collect();
        crate::sensitive::wipe(&mut bytes);
        Ok(SensitiveText::new(text))
    }

    /// Adds (or replaces) the account of a ユーザ設定情報 sheet.
    pub(super) fn add_account(&mut self, sheet: &Registration) -> Result<(), ErrorCode> {
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&self.random(16)?);
        let mut password_hash = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(),
            &salt,
            sheet.password.expose().as_bytes(),
            &mut password_hash,
        );
        self.accounts
            .retain(|a| a.user_id != sheet.user_id.as_str());
        self.accounts.push(Account {
            institution_code: sheet.institution_code.as_str().to_owned(),
            user_id: sheet.user_id.as_str().to_owned(),
            salt,
            password_hash,
            activation: digest_of(sheet.activation_code.expose()),
            failures: 0,
            locked_until: None,
        });
        Ok(())
    }

    /// The account with `user_id`, or [`ErrorCode::WrongCredentials`] (the same answer as
    /// a wrong password, so IDs cannot be probed).
    fn account(&mut self, user_id: &str) -> Result<&mut Account, ErrorCode> {
        UserId::parse(user_id).map_err(|_| ErrorCode::WrongCredentials)?;
        self.accounts
            .iter_mut()
            .find(|a| a.user_id == user_id)
            .ok_or(ErrorCode::WrongCredentials)
    }

    /// Forgets sessions whose refresh token expired and challenges long expired.
    fn purge(&mut self, now: i64) {
        self.sessions.retain(|s| now < s.refresh_expires);
        self.challenges
            .retain(|c| now < c.expires.saturating_add(EXPIRED_CHALLENGE_MEMORY_SECONDS));
    }

    /// Opens a session for `device` and `user_id`.
    fn open_session(&mut self, device: u64, user_id: &str, now: i64) -> Result<Issued, ErrorCode> {
        let issued = Issued {
            access: self.token()?,
            refresh: self.token()?,
        };
        self.sessions.push(SessionRecord {
            device,
            user_id: user_id.to_owned(),
            access: digest_of(issued.access.expose()),
            access_expires: now.saturating_add(i64::from(ACCESS_TOKEN_SECONDS)),
            refresh: digest_of(issued.refresh.expose()),
            refresh_expires: now.saturating_add(i64::from(REFRESH_TOKEN_SECONDS)),
            previous: None,
        });
        Ok(issued)
    }

    /// 初期登録: checks the sheet's four values and registers a device with a first session.
    /// Returns the device credential and the session's tokens.
    ///
    /// Order: the 機関コード's form (check digit), the account and its password (wrong
    /// ones count towards the lock), then that the 機関コード and activation code are the
    /// account's.
    pub(super) fn register(
        &mut self,
        request: &RegistrationRequest,
        now: i64,
    ) -> Result<(SensitiveText, Issued), ErrorCode> {
        self.purge(now);
        InstitutionCode::parse(&request.institution_code)
            .map_err(|_| ErrorCode::WrongInstitutionCode)?;
        let account = self.account(&request.user_id)?;
        account.verify_password(request.password.expose(), now)?;
        if account.institution_code != request.institution_code {
            return Err(ErrorCode::WrongInstitutionCode);
        }
        if account.activation != digest_of(request.activation_code.expose()) {
            return Err(ErrorCode::WrongActivationCode);
        }
        let institution_code = account.institution_code.clone();
        let user_id = account.user_id.clone();
        let credential = self.token()?;
        let id = self.next_device;
        self.next_device += 1;
        self.devices.push(Device {
            id,
            credential: digest_of(credential.expose()),
            institution_code,
            read: BTreeSet::new(),
        });
        let issued = self.open_session(id, &user_id, now)?;
        log::info!("reference center: device {id} registered");
        Ok((credential, issued))
    }

    /// The registered device with this credential.
    fn device_by_credential(&self, credential: &str) -> Result<&Device, ErrorCode> {
        let wanted = digest_of(credential);
        self.devices
            .iter()
            .find(|d| d.credential == wanted)
            .ok_or(ErrorCode::DeviceNotRegistered)
    }

    /// システムログイン on a registered device with ID + password. The account must belong
    /// to the institution the device was registered for.
    pub(super) fn login(&mut self, request: &LoginRequest, now: i64) -> Result<Issued, ErrorCode> {
        self.purge(now);
        let device = self.device_by_credential(request.device_credential.expose())?;
        let (device_id, device_institution) = (device.id, device.institution_code.clone());
        let account = self.account(&request.user_id)?;
        account.verify_password(request.password.expose(), now)?;
        if account.institution_code != device_institution {
            return Err(ErrorCode::DeviceNotRegistered);
        }
        let user_id = account.user_id.clone();
        self.open_session(device_id, &user_id, now)
    }

    /// Renews a session: the device credential and the refresh token must match one
    /// session; it gets new tokens (access and refresh) and the old access token dies.
    ///
    /// Rotation with a reuse window of one: the current refresh token N+1 renews the
    /// session and becomes the remembered previous one (N dies). The previous token N,
    /// presented while N+1 is still unused, renews the session once: N+1 is revoked and N
    /// dies with it, so a second replay is [`ErrorCode::RefreshRejected`]. The previous
    /// token keeps its own 30-day expiry. Anything else (older, revoked, another device's,
    /// expired) is [`ErrorCode::RefreshRejected`].
    pub(super) fn refresh(
        &mut self,
        request: &RefreshRequest,
        now: i64,
    ) -> Result<Issued, ErrorCode> {
        self.purge(now);
        let device = self
            .device_by_credential(request.device_credential.expose())?
            .id;
        let wanted = digest_of(request.refresh_token.expose());
        let index = self
            .sessions
            .iter()
            .position(|s| s.device == device && s.renewable_with(&wanted, now))
            .ok_or(ErrorCode::RefreshRejected)?;
        let issued = Issued {
            access: self.token()?,
            refresh: self.token()?,
        };
        let session = &mut self.sessions[index];
        session.previous = if session.refresh == wanted {
            Some((session.refresh, session.refresh_expires))
        } else {
            log::info!(
                "reference center: a device renewed its session with the previous refresh \
                 token (reuse window); the newer one is revoked"
            );
            None
        };
        session.access = digest_of(issued.access.expose());
        session.access_expires = now.saturating_add(i64::from(ACCESS_TOKEN_SECONDS));
        session.refresh = digest_of(issued.refresh.expose());
        session.refresh_expires = now.saturating_add(i64::from(REFRESH_TOKEN_SECONDS));
        Ok(issued)
    }

    /// The session of a bearer token: [`ErrorCode::SessionInvalid`] without one or for an
    /// unknown (ended) one, [`ErrorCode::SessionExpired`] past its access lifetime.
    pub(super) fn authenticate(
        &mut self,
        bearer: Option<&str>,
        now: i64,
    ) -> Result<Authenticated, ErrorCode> {
        self.purge(now);
        let wanted = digest_of(bearer.ok_or(ErrorCode::SessionInvalid)?);
        let session = self
            .sessions
            .iter()
            .find(|s| s.access == wanted)
            .ok_or(ErrorCode::SessionInvalid)?;
        if now >= session.access_expires {
            return Err(ErrorCode::SessionExpired);
        }
        Ok(Authenticated {
            device: session.device,
            user_id: session.user_id.clone(),
        })
    }

    /// ログアウト: ends the session of `bearer` (its refresh token with it).
    pub(super) fn logout(&mut self, bearer: Option<&str>, now: i64) -> Result<(), ErrorCode> {
        self.authenticate(bearer, now)?;
        let wanted = bearer.map(digest_of);
        self.sessions.retain(|s| Some(s.access) != wanted);
        Ok(())
    }

    /// デバイス登録解除: forgets the device of `bearer`, every session and challenge of it.
    pub(super) fn deregister(&mut self, bearer: Option<&str>, now: i64) -> Result<(), ErrorCode> {
        let device = self.authenticate(bearer, now)?.device;
        self.devices.retain(|d| d.id != device);
        self.sessions.retain(|s| s.device != device);
        self.challenges.retain(|c| c.device != device);
        log::info!("reference center: device {device} deregistered");
        Ok(())
    }

    /// アカウントパスワード設定: the new password must follow the rules; the current one
    /// must be right (a wrong one counts towards the lock).
    pub(super) fn change_password(
        &mut self,
        bearer: Option<&str>,
        request: &PasswordChangeRequest,
        now: i64,
    ) -> Result<(), ErrorCode> {
        let user_id = self.authenticate(bearer, now)?.user_id;
        check_password_rules(request.new.expose()).map_err(|_| ErrorCode::PasswordRules)?;
        let salt_bytes = self.random(16)?;
        let account = self.account(&user_id)?;
        account.verify_password(request.current.expose(), now)?;
        account.salt.copy_from_slice(&salt_bytes);
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(),
            &account.salt,
            request.new.expose().as_bytes(),
            &mut account.password_hash,
        );
        Ok(())
    }

    /// The notices `device` has marked read.
    pub(super) fn read_marks(&self, device: u64) -> Option<&BTreeSet<NoticeId>> {
        self.devices
            .iter()
            .find(|d| d.id == device)
            .map(|d| &d.read)
    }

    /// Marks `ids` read for `device`.
    pub(super) fn mark_read(&mut self, device: u64, ids: Vec<NoticeId>) {
        if let Some(device) = self.devices.iter_mut().find(|d| d.id == device) {
            device.read.extend(ids);
        }
    }

    /// A fresh challenge for `device`, valid [`CHALLENGE_SECONDS`].
    pub(super) fn issue_challenge(
        &mut self,
        device: u64,
        now: i64,
    ) -> Result<Challenge, ErrorCode> {
        self.purge(now);
        let id = self.token()?;
        // 64 hex digits fit the challenge-ID format.
        let id = ChallengeId::parse(&id.expose()[..32]).map_err(|_| ErrorCode::Internal)?;
        let nonce = self.random(RANDOM_BYTES)?;
        let mine = self
            .challenges
            .iter()
            .filter(|c| c.device == device)
            .count();
        if mine >= MAX_CHALLENGES_PER_DEVICE {
            if let Some(oldest) = self.challenges.iter().position(|c| c.device == device) {
                self.challenges.remove(oldest);
            }
        }
        self.challenges.push(ChallengeRecord {
            id: id.as_str().to_owned(),
            nonce: nonce.clone(),
            device,
            expires: now.saturating_add(i64::from(CHALLENGE_SECONDS)),
        });
        Ok(Challenge {
            id,
            nonce,
            valid_seconds: CHALLENGE_SECONDS,
        })
    }

    /// Uses up the challenge `id` of `device` and returns its nonce. Any use consumes it,
    /// so a second use is [`ErrorCode::ChallengeInvalid`], as is another device's
    /// challenge; one used at or after its expiry is [`ErrorCode::ChallengeExpired`].
    pub(super) fn take_challenge(
        &mut self,
        device: u64,
        id: &ChallengeId,
        now: i64,
    ) -> Result<Vec<u8>, ErrorCode> {
        self.purge(now);
        let index = self
            .challenges
            .iter()
            .position(|c| c.id == id.as_str() && c.device == device)
            .ok_or(ErrorCode::ChallengeInvalid)?;
        let challenge = self.challenges.remove(index);
        if now >= challenge.expires {
            return Err(ErrorCode::ChallengeExpired);
        }
        Ok(challenge.nonce)
    }
}
