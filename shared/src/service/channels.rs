//! Every channel is a front door: what an SMS, an X message or a Messenger/WhatsApp message
//! does once its webhook has been verified and read (`crate::channels`).
//!
//! A message is one of:
//! - a new report (stored `received`, routed like a web report, answered with its tracking id);
//! - an answer to the sender's report that waits for them (deferred with a question, or
//!   responded): it becomes the reporter's `reply`, not a new report;
//! - `BALAS <id> <text>`: a reply to that report, if it is the sender's;
//! - `CEK <id>`: the report's status, answered on the same channel;
//! - help, for anything else (an empty or too short message).
//!
//! Gateways retry: each message is handled once, by its provider message id (a claim in
//! `ChannelState`), and a new report's insert carries an idempotency record of the same id.
//! Every answer goes through the notification queue, so the notifier sends it once.

use super::actions;
use super::intake::{insert_new, new_report};
use super::App;
use crate::api::{limits, ServiceError};
use crate::crypto::sha256_hex;
use crate::domain::submission::{forbidden_char, NewReport};
use crate::domain::{
    AccessToken, Actor, Channel, Location, Report, ReporterContact, Status, TrackingId,
};
use crate::inbound::command::{self, Command};
use crate::inbound::{sms, InboundMessage, SenderAddress};
use crate::lifecycle::{Action, Notification};
use crate::ports::{
    ChannelState, DeliveryClaim, IdempotencyOrigin, IdempotencyRecord, InsertError, ListQuery,
    QueueName, ReportList, StoredFragment,
};
use serde::Serialize;
use std::time::Duration;

/// How long one webhook call may hold a message before a retry of it may take over.
const HANDLING_LEASE: Duration = Duration::from_secs(60);

/// How long a channel message id is remembered by the report insert (gateways retry for hours
/// at most; the `ChannelState` claim remembers it for weeks).
const MESSAGE_MEMORY: chrono::Duration = chrono::Duration::days(3);

/// What became of one inbound message (the webhook's answer to the gateway, and the logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Handled {
    /// A new report; its tracking id goes back to the sender.
    ReportCreated { tracking_id: TrackingId },
    /// The sender's reply to one of their reports.
    ReplyRecorded { tracking_id: TrackingId },
    /// A status request, answered.
    StatusAnswered,
    /// Help (or a refusal explained) was sent back.
    HelpSent,
    /// One part of a long SMS, kept until the rest arrives.
    PartStored,
    /// The same message again (a gateway retry): nothing new happened.
    Duplicate,
}

impl Handled {
    pub fn name(&self) -> &'static str {
        match self {
            Handled::ReportCreated { .. } => "report_created",
            Handled::ReplyRecorded { .. } => "reply_recorded",
            Handled::StatusAnswered => "status_answered",
            Handled::HelpSent => "help_sent",
            Handled::PartStored => "part_stored",
            Handled::Duplicate => "duplicate",
        }
    }
}

/// Handles one verified inbound message, exactly once however often the gateway delivers it.
pub async fn receive(
    app: &App,
    state: &dyn ChannelState,
    message: InboundMessage,
) -> Result<Handled, ServiceError> {
    let message_key = message_key(message.channel, &message.provider_message_id);
    match state
        .claim_delivery(&message_key, app.clock.now(), HANDLING_LEASE)
        .await?
    {
        DeliveryClaim::Acquired => {}
        DeliveryClaim::AlreadySent => return Ok(Handled::Duplicate),
        // A retry racing the first delivery: the gateway tries again later and finds it done.
        DeliveryClaim::InFlight => {
            return Err(ServiceError::unavailable(
                "another delivery of this message is being handled",
            ))
        }
    }
    let channel = message.channel;
    match handle(app, state, message).await {
        Ok(handled) => {
            state.mark_delivered(&message_key, app.clock.now()).await?;
            tracing::info!(channel = ?channel, result = handled.name(), "channel message handled");
            Ok(handled)
        }
        Err(e) => {
            if let Err(release) = state.release_delivery(&message_key).await {
                tracing::warn!(error = %release, "claim not released; it lapses with its lease");
            }
            Err(e)
        }
    }
}

/// `inbound:<hash of channel and provider message id>`: ids are unique per provider, and hashed
/// so a long or odd id makes a key of fixed shape.
fn message_key(channel: Channel, provider_message_id: &str) -> String {
    let channel = serde_json::to_string(&channel).expect("a channel serialises");
    format!(
        "inbound:{}",
        &sha256_hex(format!("{channel}:{provider_message_id}").as_bytes())[..40]
    )
}

async fn handle(
    app: &App,
    state: &dyn ChannelState,
    message: InboundMessage,
) -> Result<Handled, ServiceError> {
    let Some((message, assembled)) = assemble(app, state, message).await? else {
        return Ok(Handled::PartStored);
    };
    let handled = act(app, message).await?;
    if let Some((group, parts)) = assembled {
        // Only once the message is handled: a failure before leaves the parts for the retry.
        if let Err(e) = state.clear_fragments(&group, &parts).await {
            tracing::warn!(error = %e, "SMS parts not cleared; they expire with their memory");
        }
    }
    Ok(handled)
}

/// The group a long SMS's parts are stored under, and the parts once all have arrived.
type Assembled = Option<(String, Vec<StoredFragment>)>;

/// The message to act on: the one received, or, for the last part of a long SMS to arrive, the
/// whole message (`None` while parts are still missing).
async fn assemble(
    app: &App,
    state: &dyn ChannelState,
    mut message: InboundMessage,
) -> Result<Option<(InboundMessage, Assembled)>, ServiceError> {
    let Some(fragment) = message.fragment.clone() else {
        return Ok(Some((message, None)));
    };
    let group = app.pii.reference(
        "sms-concat",
        &format!("{}:{}", message.sender.as_key(), fragment.reference),
    );
    let stored = StoredFragment {
        part: fragment.part,
        provider_message_id: message.provider_message_id.clone(),
        sealed_text: app.pii.seal(message.text.as_bytes()),
    };
    let Some(parts) = state
        .put_fragment(&group, fragment.total, &stored, app.clock.now())
        .await?
    else {
        return Ok(None);
    };
    let texts = parts
        .iter()
        .map(|part| {
            app.pii
                .open(&part.sealed_text)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    ServiceError::internal("an SMS part does not open with the configured key")
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    message.text = sms::assemble(&texts);
    // Named by its parts' own ids: whichever part completes it makes the report once, and the
    // next message reusing the reference (handsets wrap an 8-bit one) is another message.
    let ids: Vec<&str> = parts
        .iter()
        .map(|p| p.provider_message_id.as_str())
        .collect();
    message.provider_message_id =
        format!("concat:{}", &sha256_hex(ids.join("\n").as_bytes())[..40]);
    message.fragment = None;
    Ok(Some((message, Some((group, parts)))))
}

/// What a whole message means, done.
async fn act(app: &App, message: InboundMessage) -> Result<Handled, ServiceError> {
    let sender_ref = app.pii.reference("sender", &message.sender.as_key());
    match command::parse(&message.text) {
        Command::Help => answer(app, &message, None, help_text()).await,
        Command::Status(tracking_id) => {
            let text = match app.store.get(&tracking_id).await? {
                Some(report) if may_see_status(&report, &sender_ref) => status_text(&report),
                _ => not_found_text(&tracking_id),
            };
            answer(app, &message, Some(&tracking_id), text).await?;
            Ok(Handled::StatusAnswered)
        }
        Command::Reply { tracking_id, text } => match app.store.get(&tracking_id).await? {
            Some(report) if report.reporter_ref.as_deref() == Some(sender_ref.as_str()) => {
                reply(app, &message, report, text).await
            }
            _ => {
                answer(
                    app,
                    &message,
                    Some(&tracking_id),
                    not_found_text(&tracking_id),
                )
                .await?;
                Ok(Handled::HelpSent)
            }
        },
        Command::Report {
            text,
            kind,
            anonymous,
            confidential,
            explicit_new,
        } => {
            if !explicit_new {
                if let Some(waiting) = waiting_for_sender(app, &sender_ref).await? {
                    return reply(app, &message, waiting, text).await;
                }
            }
            let body = clean(&text);
            if body.chars().count() < *limits::BODY_CHARS.start() {
                return answer(app, &message, None, too_short_text()).await;
            }
            create(
                app,
                &message,
                sender_ref,
                NewReport {
                    kind,
                    title: crate::inbound::title_from(message.channel, &body),
                    body: body.chars().take(*limits::BODY_CHARS.end()).collect(),
                    category: None,
                    // The router reads places from the text, as it does for web reports.
                    location: Location::default(),
                    incident_date: None,
                    target_agency: None,
                    channel: message.channel,
                    reporter: contact_of(&message),
                    anonymous,
                    confidential,
                },
            )
            .await
        }
    }
}

/// A status is the sender's to see when the report is theirs, or when anyone may see it.
fn may_see_status(report: &Report, sender_ref: &str) -> bool {
    report.reporter_ref.as_deref() == Some(sender_ref) || !report.confidential
}

/// The sender's newest report that waits for their answer (a question, or a follow-up they
/// may answer), among their latest few.
async fn waiting_for_sender(app: &App, sender_ref: &str) -> Result<Option<Report>, ServiceError> {
    let page = app
        .store
        .list(&ListQuery {
            list: ReportList::Reporter(sender_ref.to_string()),
            status: None,
            public_only: false,
            cursor: None,
            limit: 5,
        })
        .await?;
    Ok(page
        .reports
        .into_iter()
        .find(|r| matches!(r.status, Status::Deferred | Status::Responded)))
}

async fn create(
    app: &App,
    message: &InboundMessage,
    sender_ref: String,
    new: NewReport,
) -> Result<Handled, ServiceError> {
    let now = app.clock.now();
    // The reporter follows up on the channel; the web access token is never sent over it.
    let directory = app.directory.current().await;
    let mut report = new_report(app, &directory, new, AccessToken::generate().hash(), now);
    report.reporter_ref = Some(sender_ref);
    report.inbound_sealed = Some(
        app.pii.seal(
            &serde_json::to_vec(&serde_json::json!({
                "channel": message.channel,
                "provider_message_id": message.provider_message_id,
                "received_at": message.received_at,
                "public": message.public,
                "raw": message.raw,
            }))
            .expect("an inbound record serialises"),
        ),
    );
    // The channels' own namespace of keys (keyed, with its own purpose): no `Idempotency-Key` a
    // web client sends can name this record, so none can make a real message a "duplicate".
    let key_hash = app.pii.reference(
        "idempotency:channel",
        &message_key(message.channel, &message.provider_message_id),
    );
    let request_hash = sha256_hex(message.text.as_bytes());
    let record_for = |report: &Report| {
        Some(IdempotencyRecord {
            key_hash: key_hash.clone(),
            origin: IdempotencyOrigin::Channel,
            request_hash: request_hash.clone(),
            tracking_id: report.tracking_id.clone(),
            sealed_response: app.pii.seal(report.tracking_id.as_str().as_bytes()),
            created_at: now,
            expires_at: (now + MESSAGE_MEMORY).timestamp(),
        })
    };
    match insert_new(app, &directory, &mut report, record_for).await {
        Ok(()) => {}
        Err(InsertError::IdempotencyKeyTaken) => {
            // Stored by an earlier delivery whose claim lapsed: answer (again) with its id.
            let record = app
                .store
                .get_idempotency(&key_hash, now)
                .await?
                .ok_or_else(|| {
                    ServiceError::unavailable("the first delivery's report is not readable yet")
                })?;
            if record.origin != IdempotencyOrigin::Channel {
                // Never taken for a retry of this message (and the namespaces make it unreachable).
                return Err(ServiceError::Conflict {
                    code: "idempotency_key_reused",
                    message: "this message's key belongs to another origin".into(),
                });
            }
            let stored = app.store.get(&record.tracking_id).await?.ok_or_else(|| {
                ServiceError::unavailable("the first delivery's report is not readable yet")
            })?;
            // The first delivery's receipt may be the one lost: send it again (the notifier
            // sends a notice once).
            queue_receipt(app, &stored).await?;
            return Ok(Handled::Duplicate);
        }
        Err(InsertError::TrackingIdTaken) => {
            return Err(ServiceError::unavailable(
                "no free tracking id in four tries",
            ))
        }
        Err(InsertError::Store(e)) => return Err(e.into()),
    }
    // Stored with its announcements: the router's request, and the tracking id back to the
    // sender (the `submitted` event's notice).
    tracing::info!(tracking_id = %report.tracking_id, kind = report.kind.as_str(),
        channel = ?report.channel, "report received");
    Ok(Handled::ReportCreated {
        tracking_id: report.tracking_id,
    })
}

async fn reply(
    app: &App,
    message: &InboundMessage,
    report: Report,
    text: String,
) -> Result<Handled, ServiceError> {
    let tracking_id = report.tracking_id.clone();
    // The provider's message id makes the action id: a redelivery is recognised as the same.
    let action_id = message_key(message.channel, &message.provider_message_id);
    let outcome = actions::act_on(
        app,
        &Actor::Reporter,
        report,
        Some(&action_id),
        &Action::Reply {
            message: clean(&text),
        },
    )
    .await;
    match outcome {
        Ok(_) => Ok(Handled::ReplyRecorded { tracking_id }),
        // The report is not open to a reply (closed, archived) or the text is refused (empty,
        // too long): tell the sender instead of failing the gateway's delivery.
        Err(
            ServiceError::Conflict { .. } | ServiceError::Invalid(_) | ServiceError::Forbidden(_),
        ) => {
            answer(
                app,
                message,
                Some(&tracking_id),
                format!(
                    "Balasan untuk laporan {tracking_id} tidak dapat diterima. Kirim LAPOR <isi> \
                     untuk laporan baru, atau CEK {tracking_id} untuk statusnya."
                ),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// The receipt: the notice of the report's first event (`submitted`), which carries its
/// tracking id and names no institution.
async fn queue_receipt(app: &App, report: &Report) -> Result<(), ServiceError> {
    let directory = app.directory.now();
    match super::publish::receipt(&app.pii, report, &directory) {
        Some(message) => app
            .queue
            .send(message.queue, &message.body)
            .await
            .map_err(|e| {
                ServiceError::unavailable(format!(
                    "receipt not queued ({e}); the gateway's retry queues it"
                ))
            }),
        None => Ok(()),
    }
}

/// An answer that is not a timeline event (status, help): to the sender, on their channel.
async fn answer(
    app: &App,
    message: &InboundMessage,
    tracking_id: Option<&TrackingId>,
    text: String,
) -> Result<Handled, ServiceError> {
    let contact = contact_of(message);
    let notice = Notification {
        // One answer per inbound message, however often the gateway delivers it.
        notification_id: format!(
            "answer:{}",
            message_key(message.channel, &message.provider_message_id)
        ),
        tracking_id: tracking_id.cloned(),
        channel: message.channel,
        event: "channel_answer".into(),
        status: None,
        at: app.clock.now(),
        recipient_sealed: Some(
            app.pii
                .seal(&serde_json::to_vec(&contact).expect("contact serialises")),
        ),
        text,
    };
    send(app, &notice).await?;
    Ok(Handled::HelpSent)
}

async fn send(app: &App, notice: &Notification) -> Result<(), ServiceError> {
    let body = serde_json::to_string(notice).expect("a notification serialises");
    app.queue
        .send(QueueName::Notifications, &body)
        .await
        .map_err(|e| {
            ServiceError::unavailable(format!(
                "answer not queued ({e}); the gateway's retry queues it"
            ))
        })
}

/// Where answers to this sender go, kept sealed with the report like any contact.
fn contact_of(message: &InboundMessage) -> ReporterContact {
    let mut contact = ReporterContact {
        name: message.sender_name.clone(),
        ..ReporterContact::default()
    };
    match &message.sender {
        SenderAddress::Phone(number) => contact.phone = Some(number.clone()),
        SenderAddress::XUser(id) => contact.x_user_id = Some(id.clone()),
        SenderAddress::MessengerPsid(id) => contact.messenger_id = Some(id.clone()),
    }
    contact
}

/// Messages carry what phones type: what the web form refuses (`forbidden_char`) is mended
/// instead, control characters becoming spaces and bidirectional overrides dropped.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            c if !forbidden_char(c, true) => Some(c),
            c if c.is_control() => Some(' '),
            _ => None,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn help_text() -> String {
    "LAPOR! Kirim laporan: LAPOR <isi laporan, lokasi>. Cek status: CEK <nomor>. \
     Balas: BALAS <nomor> <pesan>. Tambahkan RAHASIA atau ANONIM di awal bila perlu."
        .into()
}

fn too_short_text() -> String {
    "Laporan Anda terlalu singkat. Ceritakan apa yang terjadi, di mana dan kapan \
     (minimal 20 huruf). Ketik BANTUAN untuk petunjuk."
        .into()
}

fn not_found_text(tracking_id: &TrackingId) -> String {
    format!("Laporan {tracking_id} tidak ditemukan. Periksa kembali nomornya.")
}

fn status_text(report: &Report) -> String {
    let label = report.status.label().id;
    match report.deadline {
        Some(deadline) if !report.status.is_final() => format!(
            "Status laporan {}: {label}. Batas waktu tahap ini: {}.",
            report.tracking_id,
            deadline
                .at
                .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("WIB"))
                .format("%d-%m-%Y")
        ),
        _ => format!("Status laporan {}: {label}.", report.tracking_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_keeps_lines_and_drops_controls() {
        assert_eq!(
            clean("  Jalan\u{0007}rusak\r\nparah\u{202E} "),
            "Jalan rusak\nparah"
        );
    }

    #[test]
    fn message_keys_differ_by_channel_and_id() {
        let a = message_key(Channel::Sms, "m-1");
        assert_eq!(a, message_key(Channel::Sms, "m-1"));
        assert_ne!(a, message_key(Channel::Whatsapp, "m-1"));
        assert_ne!(a, message_key(Channel::Sms, "m-2"));
        assert!(a.starts_with("inbound:") && a.len() >= 8);
    }

    #[test]
    fn answers_fit_two_sms_and_carry_no_content() {
        let id = TrackingId::generate();
        for text in [help_text(), too_short_text(), not_found_text(&id)] {
            assert!(text.chars().count() <= 306, "{text}");
        }
    }
}
