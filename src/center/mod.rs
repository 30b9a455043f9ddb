//! The online qualification system (オンライン資格確認等システム): domain model, wire JSON,
//! the HTTPS client and, in the demo build, the reference center that implements the
//! server side faithfully.
//!
//! The protocol is this project's own (the real API is not public); the qualification
//! result keeps the official field set, code tables and formats (see `model`).

pub mod client;
pub mod model;
pub mod wire;

#[cfg(feature = "demo")]
pub mod reference;

use crate::card::AuthCertificate;

/// What the kiosk asks the center in a qualification check.
#[derive(Debug)]
pub enum CheckRequest<'a> {
    /// 目視確認: staff compared the card photo with the patient; the certificate only.
    Visual { certificate: &'a AuthCertificate },
}

/// Why a center call failed, grouped by cause. Each variant maps to one Japanese message in
/// `ui::strings`, except `Rejected`, whose message comes from the center itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CenterError {
    /// No connection could be made (DNS, refused, network down).
    Unreachable,
    /// The center did not answer within the deadline.
    Timeout,
    /// The TLS handshake failed or the certificate did not verify.
    Tls,
    /// The center answered with an HTTP error and no error body we understand.
    Server { status: u16 },
    /// The reply was not the JSON the protocol defines.
    Malformed,
    /// The center refused the request with a protocol error code and a Japanese message.
    Rejected {
        code: wire::ErrorCode,
        message: String,
    },
}

/// The qualification center as the worker thread sees it: HTTPS in production, the
/// in-process reference center in the demo. Methods block.
pub trait Center: Send {
    /// Asks for the qualification bound to the card's certificate.
    fn check_qualification(
        &mut self,
        request: &CheckRequest<'_>,
    ) -> Result<model::CheckOutcome, CenterError>;
}
