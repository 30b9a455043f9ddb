//! Bodies of the account, device and session endpoints (protocol v1, see PROTOCOL.md):
//!
//! | Call | Request | Success |
//! |---|---|---|
//! | `POST /v1/devices` | `{"institution_code","user_id","password","activation_code"}` | 201 `{"device_credential","session":{…}}` |
//! | `POST /v1/sessions` | `{"device_credential","user_id","password"}` | 201 `{"session":{…}}` |
//! | `POST /v1/sessions/refresh` | `{"device_credential","refresh_token"}` | 200 `{"session":{…}}` |
//! | `PUT /v1/account/password` (bearer) | `{"current_password","new_password"}` | 204 |
//!
//! A session object is `{"access_token","access_expires_in","refresh_token",
//! "refresh_expires_in"}`, the lifetimes in seconds as decimal strings.
//!
//! Bodies that hold a password or a token are [`SensitiveText`]; the structs that parse
//! them wipe what they still hold on drop.

use miniserde::{json, Deserialize, Serialize};

use super::{wipe_option, wipe_string, RequestError};
use crate::center::account::{
    AccessToken, DeviceCredential, Enrollment, Password, RefreshToken, Registration, Session,
    UserId,
};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

/// The registration request body.
#[derive(Serialize, Deserialize)]
struct RegistrationBody {
    institution_code: String,
    user_id: String,
    password: String,
    activation_code: String,
}

impl Drop for RegistrationBody {
    fn drop(&mut self) {
        wipe_string(&mut self.password);
        wipe_string(&mut self.activation_code);
    }
}

/// The login request body.
#[derive(Serialize, Deserialize)]
struct LoginBody {
    device_credential: String,
    user_id: String,
    password: String,
}

impl Drop for LoginBody {
    fn drop(&mut self) {
        wipe_string(&mut self.device_credential);
        wipe_string(&mut self.password);
    }
}

/// The refresh request body.
#[derive(Serialize, Deserialize)]
struct RefreshBody {
    device_credential: String,
    refresh_token: String,
}

impl Drop for RefreshBody {
    fn drop(&mut self) {
        wipe_string(&mut self.device_credential);
        wipe_string(&mut self.refresh_token);
    }
}

/// The password-change request body.
#[derive(Serialize, Deserialize)]
struct PasswordChangeBody {
    current_password: String,
    new_password: String,
}

impl Drop for PasswordChangeBody {
    fn drop(&mut self) {
        wipe_string(&mut self.current_password);
        wipe_string(&mut self.new_password);
    }
}

/// A session object.
#[derive(Serialize, Deserialize)]
struct SessionBody {
    access_token: Option<String>,
    access_expires_in: Option<String>,
    refresh_token: Option<String>,
    refresh_expires_in: Option<String>,
}

impl Drop for SessionBody {
    fn drop(&mut self) {
        wipe_option(&mut self.access_token);
        wipe_option(&mut self.refresh_token);
    }
}

/// The registration reply.
#[derive(Serialize, Deserialize)]
struct EnrollmentBody {
    device_credential: Option<String>,
    session: Option<SessionBody>,
}

impl Drop for EnrollmentBody {
    fn drop(&mut self) {
        wipe_option(&mut self.device_credential);
    }
}

/// The login and refresh reply.
#[derive(Serialize, Deserialize)]
struct SessionReplyBody {
    session: Option<SessionBody>,
}

/// A JSON body that holds secrets: the body text as [`SensitiveText`].
fn secret_json<T: Serialize>(body: &T) -> SensitiveText {
    SensitiveText::new(json::to_string(body))
}

/// The registration request body (client side).
pub fn encode_registration(registration: &Registration) -> SensitiveText {
    secret_json(&RegistrationBody {
        institution_code: registration.institution_code.as_str().to_owned(),
        user_id: registration.user_id.as_str().to_owned(),
        password: registration.password.expose().to_owned(),
        activation_code: registration.activation_code.expose().to_owned(),
    })
}

/// The login request body (client side).
pub fn encode_login(
    device: &DeviceCredential,
    user_id: &UserId,
    password: &Password,
) -> SensitiveText {
    secret_json(&LoginBody {
        device_credential: device.expose().to_owned(),
        user_id: user_id.as_str().to_owned(),
        password: password.expose().to_owned(),
    })
}

/// The refresh request body (client side).
pub fn encode_refresh(device: &DeviceCredential, refresh_token: &RefreshToken) -> SensitiveText {
    secret_json(&RefreshBody {
        device_credential: device.expose().to_owned(),
        refresh_token: refresh_token.expose().to_owned(),
    })
}

/// The password-change request body (client side).
pub fn encode_password_change(current: &Password, new: &Password) -> SensitiveText {
    secret_json(&PasswordChangeBody {
        current_password: current.expose().to_owned(),
        new_password: new.expose().to_owned(),
    })
}

/// A lifetime in seconds: 1 to 10 ASCII digits that fit in 32 bits.
fn seconds(text: Option<&str>) -> Result<u32, CenterError> {
    let text = text.ok_or(CenterError::Malformed)?;
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CenterError::Malformed);
    }
    text.parse().map_err(|_| CenterError::Malformed)
}

/// The session of a reply and its access token.
fn session(body: Option<&mut SessionBody>) -> Result<(Session, AccessToken), CenterError> {
    let body = body.ok_or(CenterError::Malformed)?;
    let token = |field: &mut Option<String>| {
        field
            .take()
            .map(SensitiveText::new)
            .ok_or(CenterError::Malformed)
    };
    let access =
        AccessToken::parse(token(&mut body.access_token)?).ok_or(CenterError::Malformed)?;
    let refresh =
        RefreshToken::parse(token(&mut body.refresh_token)?).ok_or(CenterError::Malformed)?;
    let session = Session {
        refresh_token: refresh,
        refresh_valid_seconds: seconds(body.refresh_expires_in.as_deref())?,
        access_valid_seconds: seconds(body.access_expires_in.as_deref())?,
    };
    Ok((session, access))
}

/// The registration reply: the enrollment and the first session's access token.
pub fn parse_enrollment(body: &str) -> Result<(Enrollment, AccessToken), CenterError> {
    let mut reply: EnrollmentBody = json::from_str(body).map_err(|_| CenterError::Malformed)?;
    let device = reply
        .device_credential
        .take()
        .map(SensitiveText::new)
        .and_then(DeviceCredential::parse)
        .ok_or(CenterError::Malformed)?;
    let (session, access) = session(reply.session.as_mut())?;
    Ok((Enrollment { device, session }, access))
}

/// A login or refresh reply: the session and its access token.
pub fn parse_session(body: &str) -> Result<(Session, AccessToken), CenterError> {
    let mut reply: SessionReplyBody = json::from_str(body).map_err(|_| CenterError::Malformed)?;
    session(reply.session.as_mut())
}

/// A session the center opened, as it goes on the wire (server side).
#[derive(Clone, Copy)]
pub struct Grant<'a> {
    /// The access token.
    pub access_token: &'a str,
    /// Its lifetime in seconds.
    pub access_valid_seconds: u32,
    /// The refresh token.
    pub refresh_token: &'a str,
    /// Its lifetime in seconds.
    pub refresh_valid_seconds: u32,
}

impl core::fmt::Debug for Grant<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Grant(<redacted>)")
    }
}

fn session_body(grant: &Grant<'_>) -> SessionBody {
    SessionBody {
        access_token: Some(grant.access_token.to_owned()),
        access_expires_in: Some(grant.access_valid_seconds.to_string()),
        refresh_token: Some(grant.refresh_token.to_owned()),
        refresh_expires_in: Some(grant.refresh_valid_seconds.to_string()),
    }
}

/// The registration reply (server side).
pub fn encode_enrollment(device_credential: &str, grant: &Grant<'_>) -> SensitiveText {
    secret_json(&EnrollmentBody {
        device_credential: Some(device_credential.to_owned()),
        session: Some(session_body(grant)),
    })
}

/// The login or refresh reply (server side).
pub fn encode_session(grant: &Grant<'_>) -> SensitiveText {
    secret_json(&SessionReplyBody {
        session: Some(session_body(grant)),
    })
}

/// A registration request as the center reads it: formats are the center's to judge, so
/// the values come as sent.
#[derive(Debug)]
pub struct RegistrationRequest {
    /// 機関コード as sent.
    pub institution_code: String,
    /// User ID as sent.
    pub user_id: String,
    /// Password as sent.
    pub password: Password,
    /// Activation code as sent.
    pub activation_code: SensitiveText,
}

/// A login request as the center reads it.
#[derive(Debug)]
pub struct LoginRequest {
    /// The device credential as sent.
    pub device_credential: SensitiveText,
    /// User ID as sent.
    pub user_id: String,
    /// Password as sent.
    pub password: Password,
}

/// A refresh request as the center reads it.
#[derive(Debug)]
pub struct RefreshRequest {
    /// The device credential as sent.
    pub device_credential: SensitiveText,
    /// The refresh token as sent.
    pub refresh_token: SensitiveText,
}

/// A password change as the center reads it.
#[derive(Debug)]
pub struct PasswordChangeRequest {
    /// The current password as sent.
    pub current: Password,
    /// The new password as sent.
    pub new: Password,
}

/// Moves a string out of a body that wipes on drop.
fn take(field: &mut String) -> SensitiveText {
    SensitiveText::new(core::mem::take(field))
}

/// The registration request in a body (server side).
pub fn decode_registration(body: &str) -> Result<RegistrationRequest, RequestError> {
    let mut request: RegistrationBody = json::from_str(body).map_err(|_| RequestError::Json)?;
    Ok(RegistrationRequest {
        institution_code: core::mem::take(&mut request.institution_code),
        user_id: core::mem::take(&mut request.user_id),
        password: Password::new(take(&mut request.password)),
        activation_code: take(&mut request.activation_code),
    })
}

/// The login request in a body (server side).
pub fn decode_login(body: &str) -> Result<LoginRequest, RequestError> {
    let mut request: LoginBody = json::from_str(body).map_err(|_| RequestError::Json)?;
    Ok(LoginRequest {
        device_credential: take(&mut request.device_credential),
        user_id: core::mem::take(&mut request.user_id),
        password: Password::new(take(&mut request.password)),
    })
}

/// The refresh request in a body (server side).
pub fn decode_refresh(body: &str) -> Result<RefreshRequest, RequestError> {
    let mut request: RefreshBody = json::from_str(body).map_err(|_| RequestError::Json)?;
    Ok(RefreshRequest {
        device_credential: take(&mut request.device_credential),
        refresh_token: take(&mut request.refresh_token),
    })
}

/// The password change in a body (server side).
pub fn decode_password_change(body: &str) -> Result<PasswordChangeRequest, RequestError> {
    let mut request: PasswordChangeBody = json::from_str(body).map_err(|_| RequestError::Json)?;
    Ok(PasswordChangeRequest {
        current: Password::new(take(&mut request.current_password)),
        new: Password::new(take(&mut request.new_password)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::center::account::{ActivationCode, InstitutionCode};

    const ACCESS: &str = "access-0123456789abcdef";
    const REFRESH: &str = "refresh-0123456789abcdef";
    const DEVICE: &str = "device-0123456789abcdef";

    fn grant() -> Grant<'static> {
        Grant {
            access_token: ACCESS,
            access_valid_seconds: 43_200,
            refresh_token: REFRESH,
            refresh_valid_seconds: 2_592_000,
        }
    }

    fn registration() -> Registration {
        Registration {
            institution_code: InstitutionCode::parse("0110113719").unwrap(),
            user_id: UserId::parse("W0000001").unwrap(),
            password: Password::new("Myna#Demo2025".into()),
            activation_code: ActivationCode::parse("DEMO-MYNA-TEST-0001").unwrap(),
        }
    }

    #[test]
    fn registration_round_trips() {
        let body = encode_registration(&registration());
        assert_eq!(
            body.expose(),
            r#"{"institution_code":"0110113719","user_id":"W0000001","password":"Myna#Demo2025","activation_code":"DEMO-MYNA-TEST-0001"}"#
        );
        let decoded = decode_registration(body.expose()).unwrap();
        assert_eq!(decoded.institution_code, "0110113719");
        assert_eq!(decoded.user_id, "W0000001");
        assert_eq!(decoded.password.expose(), "Myna#Demo2025");
        assert_eq!(decoded.activation_code.expose(), "DEMO-MYNA-TEST-0001");
        assert!(!format!("{decoded:?}").contains("Myna#"));
        assert_eq!(
            decode_registration(r#"{"user_id":"W0000001"}"#).map(|_| ()),
            Err(RequestError::Json)
        );
    }

    #[test]
    fn login_refresh_and_password_change_round_trip() {
        let device = DeviceCredential::parse(DEVICE.into()).unwrap();
        let user = UserId::parse("W0000001").unwrap();
        let password = Password::new("Myna#Demo2025".into());
        let login = decode_login(encode_login(&device, &user, &password).expose()).unwrap();
        assert_eq!(
            (
                login.device_credential.expose(),
                login.user_id.as_str(),
                login.password.expose()
            ),
            (DEVICE, "W0000001", "Myna#Demo2025")
        );
        let refresh_token = RefreshToken::parse(REFRESH.into()).unwrap();
        let refresh = decode_refresh(encode_refresh(&device, &refresh_token).expose()).unwrap();
        assert_eq!(
            (
                refresh.device_credential.expose(),
                refresh.refresh_token.expose()
            ),
            (DEVICE, REFRESH)
        );
        let new = Password::new("Newer#Pass2026".into());
        let change =
            decode_password_change(encode_password_change(&password, &new).expose()).unwrap();
        assert_eq!(
            (change.current.expose(), change.new.expose()),
            ("Myna#Demo2025", "Newer#Pass2026")
        );
        for bad in ["", "{}", "[]", r#"{"device_credential":1}"#] {
            assert!(decode_login(bad).is_err(), "{bad}");
            assert!(decode_refresh(bad).is_err(), "{bad}");
            assert!(decode_password_change(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sessions_and_enrollments_round_trip() {
        let body = encode_session(&grant());
        let (session, access) = parse_session(body.expose()).unwrap();
        assert_eq!(access.expose(), ACCESS);
        assert_eq!(session.refresh_token.expose(), REFRESH);
        assert_eq!(session.access_valid_seconds, 43_200);
        assert_eq!(session.refresh_valid_seconds, 2_592_000);
        assert!(
            body.expose().contains(r#""access_expires_in":"43200""#),
            "lifetimes are strings"
        );
        let (enrollment, access) =
            parse_enrollment(encode_enrollment(DEVICE, &grant()).expose()).unwrap();
        assert_eq!(enrollment.device.expose(), DEVICE);
        assert_eq!(enrollment.session.refresh_token.expose(), REFRESH);
        assert_eq!(access.expose(), ACCESS);
    }

    #[test]
    fn broken_session_replies_are_malformed() {
        let good = encode_session(&grant());
        let good = good.expose();
        for broken in [
            String::new(),
            "{".into(),
            "{}".into(),
            r#"{"session":null}"#.into(),
            good.replace(r#""43200""#, "43200"),
            good.replace(r#""43200""#, r#""-1""#),
            good.replace(r#""43200""#, r#""4294967296""#),
            good.replace(r#""43200""#, r#""""#),
            good.replace(ACCESS, "short"),
            good.replace(ACCESS, "access token with spaces"),
            good.replace(REFRESH, "refresh\"0123456789"),
            good.replace(r#","refresh_expires_in":"2592000""#, ""),
        ] {
            assert_eq!(
                parse_session(&broken).map(|_| ()),
                Err(CenterError::Malformed),
                "{broken}"
            );
        }
        let enrollment = encode_enrollment(DEVICE, &grant());
        assert_eq!(
            parse_enrollment(&enrollment.expose().replace(DEVICE, "bad device")).map(|_| ()),
            Err(CenterError::Malformed)
        );
        assert_eq!(
            parse_enrollment(good).map(|_| ()),
            Err(CenterError::Malformed),
            "a login reply is not an enrollment"
        );
    }
}
