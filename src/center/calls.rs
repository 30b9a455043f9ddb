//! The protocol's calls over any transport: [`CenterClient`] implements [`Center`] once,
//! for HTTPS ([`super::client::HttpsCenter`]) and for the in-process reference center
//! (`reference::LocalCenter`) alike, so both run the same bodies, statuses and session
//! handling.
//!
//! The client holds at most one session's access token (wiped on drop, never logged); the
//! secrets the kiosk keeps (device credential, refresh token) are passed in and returned.

use core::fmt;

use super::account::{
    AccessToken, DeviceCredential, Enrollment, Password, RefreshToken, Registration, Session,
    UserId,
};
use super::info::{AppVersion, Notice, NoticeId};
use super::model::{Challenge, CheckOutcome};
use super::{wire, Center, CenterError, CheckRequest};
use crate::sensitive::SensitiveText;

/// An HTTP method the protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// One request to the center.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    /// The method.
    pub method: Method,
    /// The protocol path, e.g. [`wire::CHECK_PATH`].
    pub path: &'static str,
    /// The session's access token for `Authorization: Bearer`.
    pub bearer: Option<&'a AccessToken>,
    /// The JSON body, if the call has one.
    pub body: Option<&'a str>,
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Call {{ {} {}, bearer: {}, body: {} }}",
            self.method.as_str(),
            self.path,
            self.bearer.is_some(),
            self.body.map_or(0, str::len)
        )
    }
}

/// The center's answer: an HTTP status and the body (wiped on drop: it may hold patient
/// data or tokens).
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body, UTF-8.
    pub body: SensitiveText,
}

/// Carries one [`Call`] to the center and brings back its [`Reply`].
pub trait Transport: Send {
    /// A short name for logs (`"center"`, `"local center"`).
    fn name(&self) -> &'static str;

    /// Sends `call` and reads the reply. A reply with any status is `Ok`; `Err` is a
    /// failure to get one (unreachable, timeout, TLS, too large, cut off).
    fn exchange(&mut self, call: &Call<'_>) -> Result<Reply, CenterError>;

    /// Keeps the connection warm while the kiosk is in use: sends what is due now and says
    /// how long until something may be due again (`None`: nothing to keep). Transports
    /// without connections keep nothing.
    fn keep_warm(&mut self) -> Option<std::time::Duration> {
        None
    }
}

/// Whether a call needs the session.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// No bearer token.
    None,
    /// The session's bearer token; without a session the call is not sent.
    Session,
}

/// The protocol client over transport `T`: implements every call of [`Center`].
pub struct CenterClient<T> {
    transport: T,
    access: Option<AccessToken>,
}

impl<T: Transport> fmt::Debug for CenterClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CenterClient {{ {}, session: {} }}",
            self.transport.name(),
            self.access.is_some()
        )
    }
}

impl<T: Transport> CenterClient<T> {
    /// A client without a session over `transport`.
    pub fn with_transport(transport: T) -> CenterClient<T> {
        CenterClient {
            transport,
            access: None,
        }
    }

    /// Whether a session is open (registration, login or refresh succeeded and no logout,
    /// deregistration or session error has ended it since).
    pub fn has_session(&self) -> bool {
        self.access.is_some()
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably (the demo and tests reach the in-process reference center
    /// through it).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends one call and reads its reply with `parse` (2xx) or as an error (other
    /// statuses). A center code that ends the session drops the access token.
    fn call<R>(
        &mut self,
        method: Method,
        path: &'static str,
        auth: Auth,
        body: Option<&str>,
        parse: impl FnOnce(&str) -> Result<R, CenterError>,
    ) -> Result<R, CenterError> {
        let bearer = match auth {
            Auth::None => None,
            Auth::Session => Some(self.access.as_ref().ok_or(CenterError::NoSession)?),
        };
        let call = Call {
            method,
            path,
            bearer,
            body,
        };
        let reply = self.transport.exchange(&call);
        let (status, result) = match reply {
            Ok(reply) => (
                Some(reply.status),
                wire::parse_reply(reply.status, reply.body.expose(), parse),
            ),
            Err(error) => (None, Err(error)),
        };
        if let Err(CenterError::Rejected { code, .. }) = &result {
            if code.ends_session() {
                self.access = None;
            }
        }
        let status = status.map_or_else(|| "no response".to_owned(), |s| format!("HTTP {s}"));
        match &result {
            Ok(_) => log::info!(
                "{}: {} {path}: {status}",
                self.transport.name(),
                method.as_str()
            ),
            Err(error) => log::warn!(
                "{}: {} {path}: {status}, failed: {}",
                self.transport.name(),
                method.as_str(),
                error.log_name()
            ),
        }
        result
    }

    /// Keeps the access token of a new session and returns the session.
    fn open(&mut self, (session, access): (Session, AccessToken)) -> Session {
        self.access = Some(access);
        session
    }
}

impl<T: Transport> Center for CenterClient<T> {
    fn register_device(&mut self, registration: &Registration) -> Result<Enrollment, CenterError> {
        let body = wire::account::encode_registration(registration);
        let (enrollment, access) = self.call(
            Method::Post,
            wire::DEVICES_PATH,
            Auth::None,
            Some(body.expose()),
            wire::account::parse_enrollment,
        )?;
        self.access = Some(access);
        Ok(enrollment)
    }

    fn login(
        &mut self,
        device: &DeviceCredential,
        user_id: &UserId,
        password: &Password,
    ) -> Result<Session, CenterError> {
        let body = wire::account::encode_login(device, user_id, password);
        let opened = self.call(
            Method::Post,
            wire::SESSIONS_PATH,
            Auth::None,
            Some(body.expose()),
            wire::account::parse_session,
        )?;
        Ok(self.open(opened))
    }

    fn refresh_session(
        &mut self,
        device: &DeviceCredential,
        refresh_token: &RefreshToken,
    ) -> Result<Session, CenterError> {
        let body = wire::account::encode_refresh(device, refresh_token);
        let opened = self.call(
            Method::Post,
            wire::SESSION_REFRESH_PATH,
            Auth::None,
            Some(body.expose()),
            wire::account::parse_session,
        )?;
        Ok(self.open(opened))
    }

    fn logout(&mut self) -> Result<(), CenterError> {
        let result = self.call(
            Method::Delete,
            wire::CURRENT_SESSION_PATH,
            Auth::Session,
            None,
            |_| Ok(()),
        );
        // Logged out here whatever the center said: the kiosk must not keep using a session
        // the person asked to end.
        self.access = None;
        result
    }

    fn deregister_device(&mut self) -> Result<(), CenterError> {
        self.call(
            Method::Delete,
            wire::CURRENT_DEVICE_PATH,
            Auth::Session,
            None,
            |_| Ok(()),
        )?;
        self.access = None;
        Ok(())
    }

    fn change_password(&mut self, current: &Password, new: &Password) -> Result<(), CenterError> {
        let body = wire::account::encode_password_change(current, new);
        self.call(
            Method::Put,
            wire::PASSWORD_PATH,
            Auth::Session,
            Some(body.expose()),
            |_| Ok(()),
        )
    }

    fn notices(&mut self) -> Result<Vec<Notice>, CenterError> {
        self.call(
            Method::Get,
            wire::NOTICES_PATH,
            Auth::Session,
            None,
            wire::info::parse_notices,
        )
    }

    fn mark_notices_read(&mut self, ids: &[NoticeId]) -> Result<(), CenterError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut result = Ok(());
        // The center takes a bounded number of IDs per request.
        for chunk in ids.chunks(wire::info::MAX_MARK_READ_IDS) {
            let body = wire::info::encode_mark_read(chunk);
            result = self.call(
                Method::Post,
                wire::NOTICES_READ_PATH,
                Auth::Session,
                Some(&body),
                |_| Ok(()),
            );
            if result.is_err() {
                break;
            }
        }
        result
    }

    fn app_version(&mut self) -> Result<AppVersion, CenterError> {
        self.call(
            Method::Get,
            wire::APP_VERSION_PATH,
            Auth::None,
            None,
            wire::info::parse_app_version,
        )
    }

    fn challenge(&mut self) -> Result<Challenge, CenterError> {
        self.call(
            Method::Post,
            wire::CHALLENGES_PATH,
            Auth::Session,
            None,
            wire::info::parse_challenge,
        )
    }

    fn keep_warm(&mut self) -> Option<std::time::Duration> {
        self.transport.keep_warm()
    }

    fn check_qualification(
        &mut self,
        request: &CheckRequest<'_>,
    ) -> Result<CheckOutcome, CenterError> {
        let body = wire::encode_check_request(request);
        let result = self.call(
            Method::Post,
            wire::CHECK_PATH,
            Auth::Session,
            Some(&body),
            |text| wire::parse_check_response(200, text),
        );
        wire::log_result(self.transport.name(), &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::center::wire::ErrorCode;
    use std::collections::VecDeque;

    /// A transport that answers from a script and records what it was asked.
    struct Scripted {
        replies: VecDeque<Result<Reply, CenterError>>,
        seen: Vec<String>,
    }

    impl Transport for Scripted {
        fn name(&self) -> &'static str {
            "scripted"
        }

        fn exchange(&mut self, call: &Call<'_>) -> Result<Reply, CenterError> {
            self.seen.push(format!(
                "{} {} bearer={}",
                call.method.as_str(),
                call.path,
                call.bearer.map_or("-", |t| t.expose())
            ));
            self.replies
                .pop_front()
                .unwrap_or(Err(CenterError::Unreachable))
        }
    }

    fn reply(status: u16, body: &str) -> Result<Reply, CenterError> {
        Ok(Reply {
            status,
            body: body.into(),
        })
    }

    fn client(replies: Vec<Result<Reply, CenterError>>) -> CenterClient<Scripted> {
        CenterClient::with_transport(Scripted {
            replies: replies.into(),
            seen: Vec::new(),
        })
    }

    fn session_body() -> String {
        wire::account::encode_session(&wire::account::Grant {
            access_token: "access-token-0123456789",
            access_valid_seconds: 60,
            refresh_token: "refresh-token-0123456789",
            refresh_valid_seconds: 120,
        })
        .expose()
        .to_owned()
    }

    fn device() -> DeviceCredential {
        DeviceCredential::parse("device-credential-0123".into()).unwrap()
    }

    fn refresh() -> RefreshToken {
        RefreshToken::parse("refresh-token-0123456789".into()).unwrap()
    }

    #[test]
    fn calls_needing_a_session_are_not_sent_without_one() {
        let mut center = client(Vec::new());
        assert_eq!(center.notices(), Err(CenterError::NoSession));
        assert_eq!(center.challenge(), Err(CenterError::NoSession));
        assert_eq!(center.logout(), Err(CenterError::NoSession));
        assert_eq!(center.deregister_device(), Err(CenterError::NoSession));
        assert!(center.transport().seen.is_empty());
        // The version check needs none.
        assert_eq!(center.app_version(), Err(CenterError::Unreachable));
        assert_eq!(center.transport().seen, ["GET /v1/app-version bearer=-"]);
    }

    #[test]
    fn the_session_token_rides_on_later_calls_until_logout() {
        let mut center = client(vec![
            reply(200, &session_body()),
            reply(200, r#"{"notices":[]}"#),
            reply(204, ""),
        ]);
        let session = center.refresh_session(&device(), &refresh()).unwrap();
        assert_eq!(session.refresh_valid_seconds, 120);
        assert!(center.has_session());
        assert_eq!(center.notices(), Ok(Vec::new()));
        assert_eq!(center.logout(), Ok(()));
        assert!(!center.has_session());
        assert_eq!(
            center.transport().seen,
            [
                "POST /v1/sessions/refresh bearer=-",
                "GET /v1/notices bearer=access-token-0123456789",
                "DELETE /v1/sessions/current bearer=access-token-0123456789",
            ]
        );
    }

    #[test]
    fn logout_ends_the_local_session_even_when_the_center_is_away() {
        let mut center = client(vec![reply(200, &session_body()), Err(CenterError::Timeout)]);
        center.refresh_session(&device(), &refresh()).unwrap();
        assert_eq!(center.logout(), Err(CenterError::Timeout));
        assert!(!center.has_session());
    }

    #[test]
    fn session_errors_drop_the_token_and_others_keep_it() {
        let expired = wire::encode_error(&ErrorCode::SessionExpired, "期限切れ");
        let locked = wire::encode_error(&ErrorCode::ChallengeExpired, "期限切れ");
        let mut center = client(vec![
            reply(200, &session_body()),
            reply(403, &locked),
            reply(401, &expired),
        ]);
        center.refresh_session(&device(), &refresh()).unwrap();
        assert!(matches!(
            center.challenge(),
            Err(CenterError::Rejected { .. })
        ));
        assert!(
            center.has_session(),
            "a refused challenge keeps the session"
        );
        assert!(matches!(
            center.challenge(),
            Err(CenterError::Rejected { .. })
        ));
        assert!(!center.has_session(), "an expired session is dropped");
        assert_eq!(center.challenge(), Err(CenterError::NoSession));
    }

    #[test]
    fn deregistration_keeps_the_session_if_it_failed() {
        let mut center = client(vec![
            reply(200, &session_body()),
            Err(CenterError::Unreachable),
            reply(204, ""),
        ]);
        center.refresh_session(&device(), &refresh()).unwrap();
        assert_eq!(center.deregister_device(), Err(CenterError::Unreachable));
        assert!(center.has_session(), "try again later");
        assert_eq!(center.deregister_device(), Ok(()));
        assert!(!center.has_session());
    }

    #[test]
    fn marking_nothing_read_sends_nothing() {
        let mut center = client(vec![reply(200, &session_body())]);
        center.refresh_session(&device(), &refresh()).unwrap();
        assert_eq!(center.mark_notices_read(&[]), Ok(()));
        assert_eq!(center.transport().seen.len(), 1);
    }

    #[test]
    fn many_read_marks_go_in_bounded_requests() {
        let count = wire::info::MAX_MARK_READ_IDS + 50;
        let ids: Vec<NoticeId> = (0..count)
            .map(|i| NoticeId::parse(&format!("N{i}")).unwrap())
            .collect();
        let mut center = client(vec![
            reply(200, &session_body()),
            reply(204, ""),
            reply(204, ""),
        ]);
        center.refresh_session(&device(), &refresh()).unwrap();
        assert_eq!(center.mark_notices_read(&ids), Ok(()));
        assert_eq!(center.transport().seen.len(), 3, "two requests for 150 IDs");
        // A failure stops the rest.
        let mut center = client(vec![reply(200, &session_body()), Err(CenterError::Timeout)]);
        center.refresh_session(&device(), &refresh()).unwrap();
        assert_eq!(center.mark_notices_read(&ids), Err(CenterError::Timeout));
        assert_eq!(center.transport().seen.len(), 2);
    }

    #[test]
    fn debug_shows_no_token() {
        let mut center = client(vec![reply(200, &session_body())]);
        center.refresh_session(&device(), &refresh()).unwrap();
        let shown = format!("{center:?}");
        assert!(!shown.contains("access-token"), "{shown}");
        assert!(shown.contains("session: true"), "{shown}");
        let token = AccessToken::parse("access-token-0123456789".into()).unwrap();
        let call = Call {
            method: Method::Get,
            path: wire::NOTICES_PATH,
            bearer: Some(&token),
            body: Some("{\"password\":\"x\"}"),
        };
        let shown = format!("{call:?}");
        assert!(
            !shown.contains("access-token") && !shown.contains("password"),
            "{shown}"
        );
    }
}
