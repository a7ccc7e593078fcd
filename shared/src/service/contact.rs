//! A contact the reporter typed (a phone or e-mail on the web or in an app) hears nothing but the
//! receipt until it is confirmed: anyone can type anyone's number, and the state's SMS short code
//! and e-mail sender must not become a way to message strangers at our cost.
//!
//! The receipt carries a 6-digit code; the reporter enters it with their access token
//! (`POST /v1/reports/{tracking_id}/contact/confirm {code}`), and from then on every notice
//! reaches the contact. A sender on a messaging channel needs no code: their address is theirs.
//! The code is a keyed derivation of the tracking id and a stored random salt, so the stored
//! report alone does not give it, and the same receipt can be built again for a retry.

use super::actions::load;
use super::App;
use crate::api::{FieldError, ServiceError};
use crate::crypto::Sealer;
use crate::domain::{AccessToken, Channel, ContactCheck, Report, ReporterContact, TrackingId};
use crate::lifecycle::Notification;
use crate::ports::UpdateError;

/// Wrong codes allowed before the code stops working (one in 200,000 to guess it).
pub const MAX_ATTEMPTS: u8 = 5;

/// Whether a new report's contact must be confirmed: one typed on the web or in an app with a
/// phone or an e-mail to send to.
pub fn needs_check(channel: Channel, contact: &ReporterContact) -> bool {
    matches!(channel, Channel::Web | Channel::Mobile | Channel::Email)
        && (contact.phone.is_some() || contact.email.is_some())
}

pub fn new_check() -> ContactCheck {
    ContactCheck {
        salt: crate::crypto::random_secret(),
        failed_attempts: 0,
    }
}

/// The 6-digit code of `check` on the report `tracking_id`.
pub fn code(pii: &Sealer, tracking_id: &TrackingId, check: &ContactCheck) -> String {
    let reference = pii.reference("contact-code", &format!("{tracking_id}:{}", check.salt));
    let n = u64::from_str_radix(&reference[..12], 16).expect("a reference is hex");
    format!("{:06}", n % 1_000_000)
}

/// The receipt for a report whose typed contact waits for confirmation: its tracking id and the
/// code, to that contact (the only notice it gets before the code is entered). The id is the
/// `submitted` event's, so the notifier sends it once.
pub fn receipt(pii: &Sealer, report: &Report) -> Option<Notification> {
    let check = report.contact_check.as_ref()?;
    let recipient_sealed = report.reporter_sealed.clone()?;
    let id = &report.tracking_id;
    let event = report.timeline.first()?;
    Some(Notification {
        notification_id: format!("{id}:0"),
        tracking_id: Some(id.clone()),
        channel: report.channel,
        event: event.action.clone(),
        status: event.status,
        at: event.at,
        recipient_sealed: Some(recipient_sealed),
        text: format!(
            "LAPOR: laporan {id} diterima. Kode konfirmasi kontak Anda: {}. Masukkan di halaman \
             laporan agar kabar berikutnya dikirim ke sini. Abaikan bila Anda tidak melapor.",
            code(pii, id, check)
        ),
    })
}

#[derive(serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    code: String,
}

/// `POST /v1/reports/{tracking_id}/contact/confirm {code}` with the reporter's access token.
/// The right code confirms the contact; a wrong one counts against [`MAX_ATTEMPTS`] (422 naming
/// `code`), after which the code no longer works (409 `too_many_attempts`).
pub async fn confirm(
    app: &App,
    tracking_id: &str,
    bearer_token: Option<&str>,
    body: &[u8],
) -> Result<Report, ServiceError> {
    let report = load(app, tracking_id).await?;
    let token = bearer_token.ok_or(ServiceError::Unauthorized)?;
    if !AccessToken::from_presented(token).matches(&report.access_token_hash) {
        return Err(ServiceError::Unauthorized);
    }
    let ConfirmBody { code: given } = crate::api::typed(crate::api::json_object(body)?)?;
    let Some(check) = report.contact_check.clone() else {
        return Err(ServiceError::Conflict {
            code: "already_done",
            message: "no contact of this report waits for confirmation".into(),
        });
    };
    if check.failed_attempts >= MAX_ATTEMPTS {
        return Err(ServiceError::Conflict {
            code: "too_many_attempts",
            message: "too many wrong codes: this contact can no longer be confirmed".into(),
        });
    }
    let expected = code(&app.pii, &report.tracking_id, &check);
    let right = crate::crypto::constant_time_eq(given.trim().as_bytes(), expected.as_bytes());
    let mut next = report.clone();
    next.version += 1;
    next.contact_check = if right {
        None
    } else {
        Some(ContactCheck {
            failed_attempts: check.failed_attempts + 1,
            ..check
        })
    };
    match app.store.update(&next).await {
        Ok(()) => {}
        Err(UpdateError::Conflict) => {
            return Err(ServiceError::Conflict {
                code: "conflict",
                message: "the report changed meanwhile; try again".into(),
            })
        }
        Err(UpdateError::Store(e)) => return Err(e.into()),
    }
    if right {
        tracing::info!(tracking_id = %next.tracking_id, "reporter's contact confirmed");
        Ok(next)
    } else {
        let left = MAX_ATTEMPTS - check.failed_attempts - 1;
        Err(ServiceError::Invalid(vec![FieldError::new(
            "code",
            format!("does not match the code sent to your contact ({left} tries left)"),
        )]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_keyed_and_stable() {
        let pii = Sealer::from_base64_key(&Sealer::generate_key_base64()).unwrap();
        let other = Sealer::from_base64_key(&Sealer::generate_key_base64()).unwrap();
        let id = TrackingId::generate();
        let check = new_check();
        let c = code(&pii, &id, &check);
        assert_eq!(c.len(), 6);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(c, code(&pii, &id, &check));
        // Another key or another salt gives another code (but for a one-in-a-million chance,
        // which five tries make negligible).
        assert!((0..5).any(|_| code(&other, &id, &new_check()) != c));
        assert!((0..5).any(|_| code(&pii, &id, &new_check()) != c));
    }

    #[test]
    fn only_typed_contacts_need_a_check() {
        let phone = ReporterContact {
            phone: Some("+6281234567890".into()),
            ..ReporterContact::default()
        };
        let name_only = ReporterContact {
            name: Some("Siti".into()),
            ..ReporterContact::default()
        };
        assert!(needs_check(Channel::Web, &phone));
        assert!(needs_check(Channel::Mobile, &phone));
        assert!(!needs_check(Channel::Web, &name_only));
        assert!(!needs_check(Channel::Sms, &phone));
        assert!(!needs_check(Channel::Whatsapp, &phone));
    }
}
