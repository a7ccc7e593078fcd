//! E-mail through Amazon SES (API v2, `SendEmail`), a plain-text message from a verified sender.
//!
//! The subject is fixed, [`SUBJECT`]: it shows in inbox lists and notifications where the body
//! does not, so it names no report and quotes nothing of it.
//!
//! Errors: throttling (`TooManyRequestsException`, `Throttling`), a sending quota
//! (`LimitExceededException`), timeouts, connection failures and 5xx are retried; a rejected
//! message or address (`MessageRejected`, `BadRequestException`), an unverified sender
//! (`MailFromDomainNotVerifiedException`, `NotFoundException`) and a suspended or paused account
//! are not. Reasons keep the error code, never the SDK's message (it may quote the address).
//! SES has no idempotency key for `SendEmail`: a retry after a timeout may deliver twice.

use super::{
    safe_code, status_is_transient, wrong_address, Address, ChannelSender, OutboundMessage,
    Provider, SendError, Sent,
};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use std::fmt;

/// The subject of every notification e-mail ("LAPOR report update").
pub const SUBJECT: &str = "Pembaruan laporan LAPOR";

pub struct SesSender {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesSender {
    /// `from`: a sender address (or `Name <address>`) verified in SES, from `SES_FROM_ADDRESS`.
    pub fn new(config: &aws_config::SdkConfig, from: impl Into<String>) -> Self {
        SesSender::with_client(aws_sdk_sesv2::Client::new(config), from)
    }

    pub fn with_client(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        SesSender {
            client,
            from: from.into(),
        }
    }
}

impl fmt::Debug for SesSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SesSender").finish_non_exhaustive()
    }
}

fn utf8(data: &str) -> Result<Content, SendError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|_| SendError::permanent("email: message could not be built"))
}

#[async_trait::async_trait]
impl ChannelSender for SesSender {
    async fn send(&self, message: &OutboundMessage) -> Result<Sent, SendError> {
        let Address::Email(to) = &message.to else {
            return Err(wrong_address(Provider::Email, &message.to));
        };
        if !is_plausible_email(to) {
            return Err(SendError::permanent("email: not an e-mail address"));
        }
        let content = EmailContent::builder()
            .simple(
                Message::builder()
                    .subject(utf8(SUBJECT)?)
                    .body(Body::builder().text(utf8(&message.text)?).build())
                    .build(),
            )
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(content)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(Sent {
            provider_message_id: sent.message_id,
        })
    }
}

/// One `@` with something on both sides and no spaces or line breaks: SES checks the rest.
fn is_plausible_email(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// A failed `SendEmail` as a [`SendError`].
pub fn classify<R>(error: &SdkError<SendEmailError, R>) -> SendError
where
    R: HasStatus,
{
    match error {
        SdkError::ServiceError(context) => classify_service(context.err(), context.raw().status()),
        SdkError::TimeoutError(_) => SendError::transient("ses: timed out"),
        SdkError::DispatchFailure(_) => SendError::transient("ses: connection failed"),
        SdkError::ResponseError(_) => SendError::transient("ses: unreadable response"),
        SdkError::ConstructionFailure(_) => SendError::permanent("ses: request could not be built"),
        _ => SendError::transient("ses: request failed"),
    }
}

/// The HTTP status of a raw response (only SES's `HttpResponse` in production).
pub trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_sesv2::config::http::HttpResponse {
    fn status(&self) -> u16 {
        aws_sdk_sesv2::config::http::HttpResponse::status(self).as_u16()
    }
}

/// A `SendEmail` error SES answered, with the HTTP status it came with.
pub fn classify_service(error: &SendEmailError, status: u16) -> SendError {
    let (code, transient) = match error {
        e if e.is_too_many_requests_exception() => ("TooManyRequestsException", true),
        e if e.is_limit_exceeded_exception() => ("LimitExceededException", true),
        e if e.is_message_rejected() => ("MessageRejected", false),
        e if e.is_bad_request_exception() => ("BadRequestException", false),
        e if e.is_mail_from_domain_not_verified_exception() => {
            ("MailFromDomainNotVerifiedException", false)
        }
        e if e.is_not_found_exception() => ("NotFoundException", false),
        e if e.is_account_suspended_exception() => ("AccountSuspendedException", false),
        e if e.is_sending_paused_exception() => ("SendingPausedException", false),
        other => {
            let code = other.code().and_then(safe_code).unwrap_or("unknown");
            let throttled = matches!(
                code,
                "Throttling" | "ThrottlingException" | "RequestTimeout" | "ServiceUnavailable"
            );
            (code, throttled || status_is_transient(status))
        }
    };
    let reason = format!("HTTP {status} ses:{code}");
    if transient {
        SendError::Transient {
            reason,
            retry_after: None,
        }
    } else {
        SendError::Permanent { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sesv2::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_sesv2::types::error::{
        AccountSuspendedException, BadRequestException, LimitExceededException,
        MailFromDomainNotVerifiedException, MessageRejected, SendingPausedException,
        TooManyRequestsException,
    };

    struct Status(u16);

    impl HasStatus for Status {
        fn status(&self) -> u16 {
            self.0
        }
    }

    const ADDRESS: &str = "wulan.kusuma@contoh.id";

    fn service(error: SendEmailError, status: u16) -> SendError {
        classify(&SdkError::service_error(error, Status(status)))
    }

    #[test]
    fn throttling_and_outages_are_transient() {
        let throttled = service(
            SendEmailError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .message("slow down")
                    .build(),
            ),
            429,
        );
        assert_eq!(
            throttled,
            SendError::Transient {
                reason: "HTTP 429 ses:TooManyRequestsException".into(),
                retry_after: None
            }
        );
        assert!(service(
            SendEmailError::LimitExceededException(LimitExceededException::builder().build()),
            400
        )
        .is_transient());
        let unhandled = |code: &str, status| {
            service(
                SendEmailError::generic(
                    ErrorMetadata::builder().code(code).message(ADDRESS).build(),
                ),
                status,
            )
        };
        assert_eq!(
            unhandled("Throttling", 400).reason(),
            "HTTP 400 ses:Throttling"
        );
        assert!(unhandled("Throttling", 400).is_transient());
        assert!(unhandled("InternalFailure", 500).is_transient());
        assert!(!unhandled("AccessDeniedException", 403).is_transient());

        type E = SdkError<SendEmailError, Status>;
        assert!(classify(&E::timeout_error("slow")).is_transient());
        assert!(
            classify(&E::dispatch_failure(ConnectorError::io("refused".into()))).is_transient()
        );
        assert!(!classify(&E::construction_failure("bad input")).is_transient());
    }

    #[test]
    fn rejections_are_permanent_and_never_quote_the_address() {
        let cases = [
            SendEmailError::MessageRejected(
                MessageRejected::builder()
                    .message(format!("Email address is not verified: {ADDRESS}"))
                    .build(),
            ),
            SendEmailError::BadRequestException(
                BadRequestException::builder()
                    .message(format!("Illegal address {ADDRESS}"))
                    .build(),
            ),
            SendEmailError::MailFromDomainNotVerifiedException(
                MailFromDomainNotVerifiedException::builder().build(),
            ),
            SendEmailError::AccountSuspendedException(AccountSuspendedException::builder().build()),
            SendEmailError::SendingPausedException(SendingPausedException::builder().build()),
        ];
        for error in cases {
            let e = service(error, 400);
            assert!(!e.is_transient(), "{e:?}");
            assert!(e.reason().starts_with("HTTP 400 ses:"), "{e:?}");
            assert!(!e.reason().contains("wulan"), "{e:?}");
        }
        let e = service(
            SendEmailError::MessageRejected(MessageRejected::builder().build()),
            400,
        );
        assert_eq!(e, SendError::permanent("HTTP 400 ses:MessageRejected"));
    }

    #[test]
    fn plausible_addresses() {
        assert!(is_plausible_email(ADDRESS));
        for bad in [
            "",
            "wulan",
            "@contoh.id",
            "wulan@",
            "a@b@c",
            "wulan @contoh.id",
            "a@b\r\nBcc: x@y",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
