//! Bodies of the notice, app-version and challenge endpoints (protocol v1, see PROTOCOL.md):
//!
//! | Call | Request | Success |
//! |---|---|---|
//! | `GET /v1/notices` (bearer) | — | 200 `{"notices":[{"id","date","title","url","state"}]}` |
//! | `POST /v1/notices/read` (bearer) | `{"ids":["N0001",…]}` | 204 |
//! | `GET /v1/app-version` | — | 200 `{"latest","minimum","download_url"}` |
//! | `POST /v1/challenges` (bearer) | — | 201 `{"challenge_id","challenge","expires_in"}` |
//!
//! `state` is `"unread"` or `"read"` (this device's mark). `challenge` is the nonce to sign,
//! standard base64; `expires_in` is its lifetime in seconds as a decimal string.

use miniserde::{json, Deserialize, Serialize};

use super::{base64_decode, base64_encode, required_date, RequestError};
use crate::center::info::{AppVersion, Notice, NoticeId, Version};
use crate::center::model::{Challenge, ChallengeId};
use crate::center::CenterError;

/// Longest URL accepted in a reply.
const MAX_URL_LEN: usize = 2048;

/// Longest notice title accepted, in characters.
const MAX_TITLE_CHARS: usize = 200;

/// Most notice IDs one mark-read request may carry.
pub const MAX_MARK_READ_IDS: usize = 100;

/// Shortest and longest nonce accepted in a challenge, in bytes.
const NONCE_LEN: core::ops::RangeInclusive<usize> = 16..=256;

/// One notice.
#[derive(Serialize, Deserialize)]
struct NoticeBody {
    id: Option<String>,
    date: Option<String>,
    title: Option<String>,
    url: Option<String>,
    state: Option<String>,
}

/// The notice list.
#[derive(Serialize, Deserialize)]
struct NoticesBody {
    notices: Option<Vec<NoticeBody>>,
}

/// The mark-read request.
#[derive(Serialize, Deserialize)]
struct MarkReadBody {
    ids: Vec<String>,
}

/// The app-version reply.
#[derive(Serialize, Deserialize)]
struct AppVersionBody {
    latest: Option<String>,
    minimum: Option<String>,
    download_url: Option<String>,
}

/// The challenge reply.
#[derive(Serialize, Deserialize)]
struct ChallengeBody {
    challenge_id: Option<String>,
    challenge: Option<String>,
    expires_in: Option<String>,
}

/// Whether `text` is an absolute `https://` URL with a host, without user info or control
/// characters, at most [`MAX_URL_LEN`] bytes long: safe to hand to a browser.
pub fn is_https_url(text: &str) -> bool {
    if text.len() > MAX_URL_LEN || text.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    let Ok(uri) = text.parse::<ureq::http::Uri>() else {
        return false;
    };
    let Some(authority) = uri.authority() else {
        return false;
    };
    uri.scheme_str() == Some("https")
        && !authority.host().is_empty()
        && !authority.as_str().contains('@')
}

/// The encoded notice list (server side).
pub fn encode_notices(notices: &[Notice]) -> String {
    let notices = notices
        .iter()
        .map(|n| NoticeBody {
            id: Some(n.id.as_str().to_owned()),
            date: Some(n.date.to_yyyymmdd()),
            title: Some(n.title.clone()),
            url: Some(n.url.clone()),
            state: Some(if n.read { "read" } else { "unread" }.to_owned()),
        })
        .collect();
    json::to_string(&NoticesBody {
        notices: Some(notices),
    })
}

/// The notice list of a reply (client side).
pub fn parse_notices(body: &str) -> Result<Vec<Notice>, CenterError> {
    let reply: NoticesBody = json::from_str(body).map_err(|_| CenterError::Malformed)?;
    let notices = reply.notices.ok_or(CenterError::Malformed)?;
    notices.into_iter().map(notice).collect()
}

/// One notice of a reply, validated.
fn notice(body: NoticeBody) -> Result<Notice, CenterError> {
    let id = body
        .id
        .as_deref()
        .and_then(|id| NoticeId::parse(id).ok())
        .ok_or(CenterError::Malformed)?;
    let title = body.title.ok_or(CenterError::Malformed)?;
    let title_ok = !title.is_empty()
        && title.chars().count() <= MAX_TITLE_CHARS
        && !title.chars().any(char::is_control);
    let url = body.url.ok_or(CenterError::Malformed)?;
    if !title_ok || !is_https_url(&url) {
        return Err(CenterError::Malformed);
    }
    let read = match body.state.as_deref() {
        Some("read") => true,
        Some("unread") => false,
        _ => return Err(CenterError::Malformed),
    };
    Ok(Notice {
        id,
        date: required_date(&body.date)?,
        title,
        url,
        read,
    })
}

/// The mark-read request body (client side).
pub fn encode_mark_read(ids: &[NoticeId]) -> String {
    json::to_string(&MarkReadBody {
        ids: ids.iter().map(|id| id.as_str().to_owned()).collect(),
    })
}

/// The notice IDs of a mark-read request (server side): 1 to [`MAX_MARK_READ_IDS`] IDs.
pub fn decode_mark_read(body: &str) -> Result<Vec<NoticeId>, RequestError> {
    let request: MarkReadBody = json::from_str(body).map_err(|_| RequestError::Json)?;
    if request.ids.is_empty() || request.ids.len() > MAX_MARK_READ_IDS {
        return Err(RequestError::Format);
    }
    request
        .ids
        .iter()
        .map(|id| NoticeId::parse(id).map_err(|_| RequestError::Format))
        .collect()
}

/// The app-version reply (server side).
pub fn encode_app_version(version: &AppVersion) -> String {
    json::to_string(&AppVersionBody {
        latest: Some(version.latest.to_string()),
        minimum: Some(version.minimum.to_string()),
        download_url: Some(version.download_url.clone()),
    })
}

/// The app-version reply (client side): both versions, minimum ≤ latest, an `https://`
/// download URL.
pub fn parse_app_version(body: &str) -> Result<AppVersion, CenterError> {
    let reply: AppVersionBody = json::from_str(body).map_err(|_| CenterError::Malformed)?;
    let version = |field: &Option<String>| {
        field
            .as_deref()
            .and_then(|v| Version::parse(v).ok())
            .ok_or(CenterError::Malformed)
    };
    let latest = version(&reply.latest)?;
    let minimum = version(&reply.minimum)?;
    let download_url = reply.download_url.ok_or(CenterError::Malformed)?;
    if minimum > latest || !is_https_url(&download_url) {
        return Err(CenterError::Malformed);
    }
    Ok(AppVersion {
        latest,
        minimum,
        download_url,
    })
}

/// The challenge reply (server side).
pub fn encode_challenge(challenge: &Challenge) -> String {
    json::to_string(&ChallengeBody {
        challenge_id: Some(challenge.id.as_str().to_owned()),
        challenge: Some(base64_encode(&challenge.nonce)),
        expires_in: Some(challenge.valid_seconds.to_string()),
    })
}

/// The challenge of a reply (client side).
pub fn parse_challenge(body: &str) -> Result<Challenge, CenterError> {
    let reply: ChallengeBody = json::from_str(body).map_err(|_| CenterError::Malformed)?;
    let id = reply
        .challenge_id
        .as_deref()
        .and_then(|id| ChallengeId::parse(id).ok())
        .ok_or(CenterError::Malformed)?;
    let nonce = reply
        .challenge
        .as_deref()
        .and_then(|text| base64_decode(text).ok())
        .filter(|nonce| NONCE_LEN.contains(&nonce.len()))
        .ok_or(CenterError::Malformed)?;
    let valid_seconds = reply
        .expires_in
        .as_deref()
        .filter(|t| (1..=10).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
        .ok_or(CenterError::Malformed)?;
    Ok(Challenge {
        id,
        nonce,
        valid_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::center::model::Date;

    fn notice(id: &str, read: bool) -> Notice {
        Notice {
            id: NoticeId::parse(id).unwrap(),
            date: Date::new(2026, 11, 1).unwrap(),
            title: "システムメンテナンスのお知らせ".into(),
            url: "https://myna-kakunin.example/notices/0001".into(),
            read,
        }
    }

    #[test]
    fn notices_round_trip_with_read_marks() {
        let notices = vec![notice("N0001", false), notice("N0002", true)];
        let body = encode_notices(&notices);
        assert!(body.contains(r#""state":"unread""#) && body.contains(r#""date":"20261101""#));
        assert_eq!(parse_notices(&body), Ok(notices));
        assert_eq!(parse_notices(r#"{"notices":[]}"#), Ok(Vec::new()));
    }

    #[test]
    fn bad_notices_are_malformed() {
        let good = encode_notices(&[notice("N0001", false)]);
        for broken in [
            String::new(),
            "{}".into(),
            r#"{"notices":null}"#.into(),
            good.replace("N0001", "N 1"),
            good.replace("20261101", "20261131"),
            good.replace("https://", "http://"),
            good.replace(
                "https://myna-kakunin.example",
                "https://user@myna-kakunin.example",
            ),
            good.replace(
                "https://myna-kakunin.example/notices/0001",
                "javascript:alert(1)",
            ),
            good.replace("システムメンテナンスのお知らせ", ""),
            good.replace("システムメンテナンスのお知らせ", "改行\\n入り"),
            good.replace("システムメンテナンスのお知らせ", &"あ".repeat(201)),
            good.replace(r#""unread""#, r#""new""#),
            good.replace(r#","state":"unread""#, ""),
        ] {
            assert_eq!(
                parse_notices(&broken),
                Err(CenterError::Malformed),
                "{broken}"
            );
        }
    }

    #[test]
    fn mark_read_round_trips_and_is_bounded() {
        let ids = vec![
            NoticeId::parse("N0001").unwrap(),
            NoticeId::parse("N0002").unwrap(),
        ];
        let body = encode_mark_read(&ids);
        assert_eq!(body, r#"{"ids":["N0001","N0002"]}"#);
        assert_eq!(decode_mark_read(&body), Ok(ids));
        assert_eq!(decode_mark_read(r#"{"ids":[]}"#), Err(RequestError::Format));
        assert_eq!(
            decode_mark_read(r#"{"ids":["bad id"]}"#),
            Err(RequestError::Format)
        );
        assert_eq!(
            decode_mark_read(r#"{"ids":"N0001"}"#),
            Err(RequestError::Json)
        );
        let many: Vec<_> = (0..=MAX_MARK_READ_IDS)
            .map(|i| NoticeId::parse(&format!("N{i}")).unwrap())
            .collect();
        assert_eq!(
            decode_mark_read(&encode_mark_read(&many)),
            Err(RequestError::Format)
        );
    }

    #[test]
    fn app_version_round_trips_and_is_checked() {
        let version = AppVersion {
            latest: Version::new(0, 2, 0),
            minimum: Version::new(0, 1, 0),
            download_url: "https://myna-kakunin.example/download".into(),
        };
        let body = encode_app_version(&version);
        assert_eq!(
            body,
            r#"{"latest":"0.2.0","minimum":"0.1.0","download_url":"https://myna-kakunin.example/download"}"#
        );
        assert_eq!(parse_app_version(&body), Ok(version));
        for broken in [
            body.replace("0.2.0", "0.2"),
            body.replace(r#""0.1.0""#, r#""0.3.0""#),
            body.replace("https://", "http://"),
            body.replace(
                r#","download_url":"https://myna-kakunin.example/download""#,
                "",
            ),
            "{}".into(),
        ] {
            assert_eq!(
                parse_app_version(&broken),
                Err(CenterError::Malformed),
                "{broken}"
            );
        }
    }

    #[test]
    fn challenges_round_trip_and_are_checked() {
        let challenge = Challenge {
            id: ChallengeId::parse("c0ffee").unwrap(),
            nonce: (0..32).collect(),
            valid_seconds: 120,
        };
        let body = encode_challenge(&challenge);
        assert!(body.contains(r#""expires_in":"120""#), "{body}");
        assert_eq!(parse_challenge(&body), Ok(challenge));
        let short = base64_encode(&[1; 15]);
        let nonce = base64_encode(&(0..32).collect::<Vec<u8>>());
        for broken in [
            body.replace(&nonce, &short),
            body.replace(&nonce, "not base64"),
            body.replace("c0ffee", "bad id"),
            body.replace(r#""120""#, "120"),
            body.replace(r#""120""#, r#""""#),
            "{}".into(),
        ] {
            assert_eq!(
                parse_challenge(&broken),
                Err(CenterError::Malformed),
                "{broken}"
            );
        }
    }

    #[test]
    fn https_urls_only() {
        assert!(is_https_url("https://example.jp/a?b=c"));
        for bad in [
            "http://example.jp/",
            "https://",
            "https:///path",
            "https://u:p@example.jp/",
            "https://example.jp/a b",
            "https://example.jp/\n",
            "ftp://example.jp/",
            "/relative",
        ] {
            assert!(!is_https_url(bad), "{bad}");
        }
        assert!(!is_https_url(&format!(
            "https://example.jp/{}",
            "a".repeat(MAX_URL_LEN)
        )));
    }
}
