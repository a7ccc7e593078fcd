//! Every channel is a front door: what an SMS, an X message or a Messenger/WhatsApp message
//! does once its webhook has been verified and read (`crate::channels`).
//!
//! A message is one of (`inbound::command`):
//! - a new report (stored `received`, routed like a web report, answered with its tracking id);
//! - a message naming no report while one of the sender's reports waits for them (deferred
//!   with a question, or responded): their `reply` when it is plainly one ([`plainly_answers`]),
//!   else kept back for a day while the sender is asked which it is: `BALAS <id>` sends it as
//!   the reply, `LAPOR` (or another report keyword) makes it a new report;
//! - `BALAS <id> <text>`: a reply to that report; `NILAI <id> <1-5> [komentar]`: its rating;
//! - `CEK <id>`: the report's status; `LIHAT <id>`: the institution's latest question or
//!   answer (to the reporter; `CEK` adds it for them too);
//! - help, for anything else (an empty or too short message), and "nomor laporan tidak valid"
//!   for an id that does not read.
//!
//! Commands naming a report follow one rule ([`lookup`]): the sender's own report is theirs to
//! read, answer and rate; another's is only its status, and only when it is not confidential
//! ("not found" otherwise, as for an unknown id).
//!
//! Media (a Messenger or WhatsApp photo or document, [`InboundMessage::media`]) become
//! attachments of the sender's report ([`receive_with`], with a `MediaFetcher`): a message with
//! text is handled as above, and its media go to the report it created or the report it
//! answered; a photo alone goes to the sender's latest open report, and the sender hears it was
//! attached (or, with no open report, that a photo needs a description first). A download or an
//! attachment that fails never loses the report or the reply: it is logged and the sender told.
//!
//! Gateways retry: each message is handled once, by its provider message id (a claim in
//! `ChannelState`), and a new report's insert carries an idempotency record of the same id.
//! Every answer goes through the notification queue, so the notifier sends it once.

use super::actions;
use super::intake::{insert_new, new_report};
use super::support;
use super::App;
use crate::api::{limits, ServiceError};
use crate::crypto::sha256_hex;
use crate::domain::submission::{forbidden_char, NewReport};
use crate::domain::{
    AccessToken, Actor, Channel, Location, Report, ReporterContact, Status, TrackingId,
};
use crate::inbound::command::{self, Command};
use crate::inbound::{sms, InboundMedia, InboundMessage, SenderAddress};
use crate::lifecycle::{Action, Notification};
use crate::outbound::media::{MediaFetcher, MAX_MEDIA};
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Handled {
    /// A new report; its tracking id goes back to the sender.
    ReportCreated { tracking_id: TrackingId },
    /// The sender's reply to one of their reports.
    ReplyRecorded { tracking_id: TrackingId },
    /// The sender's rating of one of their reports.
    RatingRecorded { tracking_id: TrackingId },
    /// The sender's support of someone else's report (`DUKUNG`), counted or counted already.
    SupportCounted { tracking_id: TrackingId },
    /// A message that may be a reply to the sender's waiting report or a new report: kept, and
    /// the sender asked which (`BALAS <id>` or `LAPOR`).
    AwaitingChoice { tracking_id: TrackingId },
    /// A photo or document sent alone, attached to the sender's latest open report.
    MediaAttached { tracking_id: TrackingId },
    /// A status request (`CEK`, `LIHAT`), answered.
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
            Handled::RatingRecorded { .. } => "rating_recorded",
            Handled::SupportCounted { .. } => "support_counted",
            Handled::AwaitingChoice { .. } => "awaiting_choice",
            Handled::MediaAttached { .. } => "media_attached",
            Handled::StatusAnswered => "status_answered",
            Handled::HelpSent => "help_sent",
            Handled::PartStored => "part_stored",
            Handled::Duplicate => "duplicate",
        }
    }
}

/// Handles one verified inbound message, exactly once however often the gateway delivers it.
/// Its media, if any, are not fetched (see [`receive_with`]).
pub async fn receive(
    app: &App,
    state: &dyn ChannelState,
    message: InboundMessage,
) -> Result<Handled, ServiceError> {
    receive_with(app, state, message, None).await
}

/// [`receive`], fetching the message's media with `media` to attach them (without a fetcher,
/// or without attachments configured, media are dropped with a log line).
pub async fn receive_with(
    app: &App,
    state: &dyn ChannelState,
    message: InboundMessage,
    media: Option<&dyn MediaFetcher>,
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
    match handle(app, state, message, media).await {
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
    fetcher: Option<&dyn MediaFetcher>,
) -> Result<Handled, ServiceError> {
    let Some((mut message, assembled)) = assemble(app, state, message).await? else {
        return Ok(Handled::PartStored);
    };
    let media = std::mem::take(&mut message.media);
    let handled = match fetcher.filter(|_| app.attachments.is_some()) {
        Some(fetcher) if !media.is_empty() => {
            with_media(app, state, message, media, fetcher).await?
        }
        _ => {
            if !media.is_empty() {
                tracing::info!(count = media.len(), channel = ?message.channel,
                    "channel media dropped: attachments or media downloads are not configured");
            }
            act(app, state, message).await?
        }
    };
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
async fn act(
    app: &App,
    state: &dyn ChannelState,
    message: InboundMessage,
) -> Result<Handled, ServiceError> {
    let sender_ref = app.pii.reference("sender", &message.sender.as_key());
    match command::parse(&message.text) {
        Command::Help => answer(app, &message, None, help_text()).await,
        Command::Support(tracking_id) => {
            if let Lookup::Own(_) = lookup(app, &tracking_id, &sender_ref).await? {
                let text = format!(
                    "Laporan {tracking_id} adalah laporan Anda sendiri: Anda sudah mendapat \
                     kabarnya."
                );
                return answer(app, &message, Some(&tracking_id), text).await;
            }
            let recipient = app
                .pii
                .seal(&serde_json::to_vec(&contact_of(&message)).expect("contact serialises"));
            let supporter = support::sender_as_supporter(
                sender_ref,
                recipient,
                message.channel,
                app.clock.now(),
            );
            let text = match support::add(app, tracking_id.as_str(), supporter).await {
                Ok(s) if s.counted => format!(
                    "Dukungan Anda untuk laporan {tracking_id} tercatat ({} pendukung). Anda akan \
                     mendapat kabar tanggapan instansinya.",
                    s.supporters
                ),
                Ok(s) => format!(
                    "Anda sudah mendukung laporan {tracking_id} ({} pendukung).",
                    s.supporters
                ),
                Err(ServiceError::NotFound(_)) => not_found_text(&tracking_id),
                Err(ServiceError::Conflict {
                    code: "not_open", ..
                }) => format!("Laporan {tracking_id} sudah selesai dan tidak dapat didukung lagi."),
                Err(ServiceError::Conflict {
                    code: "too_many_supporters",
                    ..
                }) => format!("Laporan {tracking_id} sudah mencapai batas jumlah pendukung."),
                Err(e) => return Err(e),
            };
            answer(app, &message, Some(&tracking_id), text).await?;
            Ok(Handled::SupportCounted { tracking_id })
        }
        Command::InvalidId { keyword } => {
            answer(app, &message, None, invalid_id_text(keyword)).await
        }
        Command::Status(tracking_id) => {
            let text = match lookup(app, &tracking_id, &sender_ref).await? {
                Lookup::Own(report) => {
                    let directory = app.directory.now();
                    match latest_exchange(&report, &directory) {
                        Some(words) => format!("{} {words}", status_text(app, &report)),
                        None => status_text(app, &report),
                    }
                }
                Lookup::Public(report) => status_text(app, &report),
                Lookup::NotFound => not_found_text(&tracking_id),
            };
            answer(app, &message, Some(&tracking_id), text).await?;
            Ok(Handled::StatusAnswered)
        }
        Command::Show(tracking_id) => {
            let text = match lookup(app, &tracking_id, &sender_ref).await? {
                Lookup::Own(report) => {
                    let directory = app.directory.now();
                    latest_exchange(&report, &directory).unwrap_or_else(|| {
                        format!(
                            "Laporan {tracking_id} belum mendapat tanggapan. {}",
                            status_text(app, &report)
                        )
                    })
                }
                Lookup::Public(_) => not_theirs_text(&tracking_id),
                Lookup::NotFound => not_found_text(&tracking_id),
            };
            answer(app, &message, Some(&tracking_id), text).await?;
            Ok(Handled::StatusAnswered)
        }
        Command::Reply { tracking_id, text } => {
            match lookup(app, &tracking_id, &sender_ref).await? {
                Lookup::Own(report) => match text {
                    Some(text) => reply(app, &message, report, text, None).await,
                    None => match take_kept(app, state, &message).await? {
                        Some(kept) => {
                            let text = kept.text.clone();
                            reply(app, &kept, report, text, Some(&message)).await
                        }
                        None => {
                            answer(
                                app,
                                &message,
                                Some(&tracking_id),
                                no_reply_text(&tracking_id),
                            )
                            .await
                        }
                    },
                },
                Lookup::Public(_) => not_theirs(app, &message, &tracking_id, true).await,
                Lookup::NotFound => not_theirs(app, &message, &tracking_id, false).await,
            }
        }
        Command::Rate {
            tracking_id,
            stars,
            comment,
        } => match lookup(app, &tracking_id, &sender_ref).await? {
            Lookup::Own(report) => match stars {
                Some(stars) => rate(app, &message, report, stars, comment).await,
                None => {
                    answer(
                        app,
                        &message,
                        Some(&tracking_id),
                        rating_format_text(&tracking_id),
                    )
                    .await
                }
            },
            Lookup::Public(_) => not_theirs(app, &message, &tracking_id, true).await,
            Lookup::NotFound => not_theirs(app, &message, &tracking_id, false).await,
        },
        Command::ReportKept {
            kind,
            anonymous,
            confidential,
        } => match take_kept(app, state, &message).await? {
            Some(kept) => {
                let text = kept.text.clone();
                new_report_from(
                    app,
                    &kept,
                    &message,
                    sender_ref,
                    text,
                    kind,
                    anonymous,
                    confidential,
                )
                .await
            }
            None => answer(app, &message, None, help_text()).await,
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
                    if plainly_answers(&waiting, &message.text) {
                        return reply(app, &message, waiting, text, None).await;
                    }
                    // Not plainly an answer: keep it, and ask which it is.
                    keep(app, state, &message).await?;
                    let tracking_id = waiting.tracking_id.clone();
                    answer(
                        app,
                        &message,
                        Some(&tracking_id),
                        ask_which_text(&tracking_id),
                    )
                    .await?;
                    return Ok(Handled::AwaitingChoice { tracking_id });
                }
            }
            new_report_from(
                app,
                &message,
                &message,
                sender_ref,
                text,
                kind,
                anonymous,
                confidential,
            )
            .await
        }
    }
}

/// A message with media: a photo alone goes to the sender's latest open report; with text, the
/// message is acted on as any other, and its media go to the report it made or answered.
async fn with_media(
    app: &App,
    state: &dyn ChannelState,
    message: InboundMessage,
    media: Vec<InboundMedia>,
    fetcher: &dyn MediaFetcher,
) -> Result<Handled, ServiceError> {
    let sender_ref = app.pii.reference("sender", &message.sender.as_key());
    if message.text.trim().is_empty() {
        let Some(report) = latest_open(app, &sender_ref).await? else {
            return answer(app, &message, None, photo_needs_text_text()).await;
        };
        let tracking_id = report.tracking_id;
        let (attached, failed) = attach_all(app, fetcher, &sender_ref, &tracking_id, &media).await;
        let text = match failed {
            0 => media_attached_text(&tracking_id),
            _ => media_failed_text(app, &tracking_id, attached, failed),
        };
        answer(app, &message, Some(&tracking_id), text).await?;
        return Ok(match attached {
            0 => Handled::HelpSent,
            _ => Handled::MediaAttached { tracking_id },
        });
    }
    let handled = act(app, state, message.clone()).await?;
    match &handled {
        Handled::ReportCreated { tracking_id } | Handled::ReplyRecorded { tracking_id } => {
            let (attached, failed) =
                attach_all(app, fetcher, &sender_ref, tracking_id, &media).await;
            if failed > 0 {
                let text = media_failed_text(app, tracking_id, attached, failed);
                answer_as(app, &message, Some(tracking_id), text, ":media").await?;
            }
        }
        // The first delivery attached them.
        Handled::Duplicate => {}
        other => {
            tracing::info!(
                count = media.len(),
                result = other.name(),
                "channel media of a message that made no report or reply: not attached"
            );
        }
    }
    Ok(handled)
}

/// The sender's newest report that is still open (among their latest few).
async fn latest_open(app: &App, sender_ref: &str) -> Result<Option<Report>, ServiceError> {
    Ok(latest_of_sender(app, sender_ref)
        .await?
        .into_iter()
        .find(|r| !r.status.is_final()))
}

/// The sender's latest few reports, newest first (their channel's index).
async fn latest_of_sender(app: &App, sender_ref: &str) -> Result<Vec<Report>, ServiceError> {
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
    Ok(page.reports)
}

/// Fetches each medium (at most [`MAX_MEDIA`]) and attaches it to the report, as its sender:
/// how many were attached and how many failed. Failures are logged (no URL, no personal data),
/// never returned: the report or reply they came with is kept.
async fn attach_all(
    app: &App,
    fetcher: &dyn MediaFetcher,
    sender_ref: &str,
    tracking_id: &TrackingId,
    media: &[InboundMedia],
) -> (usize, usize) {
    let Some(max_bytes) = app.attachments.as_ref().map(|a| a.max_bytes) else {
        return (0, media.len());
    };
    let (mut attached, mut failed) = (0, 0);
    for medium in media.iter().take(MAX_MEDIA) {
        let fetched = match fetcher.fetch(medium, max_bytes).await {
            Ok(fetched) => fetched,
            Err(e) => {
                tracing::warn!(tracking_id = %tracking_id, error = %e, "channel media not fetched");
                failed += 1;
                continue;
            }
        };
        let requester = super::attachments::Requester::Sender {
            reference: sender_ref,
        };
        match super::attachments::attach_bytes(
            app,
            tracking_id.as_str(),
            requester,
            &fetched.content_type,
            fetched.bytes,
        )
        .await
        {
            Ok(_) => attached += 1,
            Err(e) => {
                tracing::warn!(tracking_id = %tracking_id, error = %e,
                    "channel media not attached");
                failed += 1;
            }
        }
    }
    (attached, failed)
}

/// A new report of `text` (the message's, or the one kept back), or the "too short" answer.
#[allow(clippy::too_many_arguments)]
async fn new_report_from(
    app: &App,
    message: &InboundMessage,
    answer_to: &InboundMessage,
    sender_ref: String,
    text: String,
    kind: crate::domain::ReportKind,
    anonymous: bool,
    confidential: bool,
) -> Result<Handled, ServiceError> {
    let body = clean(&text);
    if body.chars().count() < *limits::BODY_CHARS.start() {
        return answer(app, answer_to, None, too_short_text()).await;
    }
    create(
        app,
        message,
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
            reporter: contact_of(message),
            anonymous,
            confidential,
        },
    )
    .await
}

/// A report as the sender may learn of it by its id.
enum Lookup {
    /// Theirs: it was sent from this address.
    Own(Report),
    /// Another's, not confidential: its status is anyone's to see, as on the public page.
    Public(Report),
    /// None by this id, or another's confidential report (the same answer for both).
    NotFound,
}

/// Every command naming a report answers by this one rule, so `CEK`, `LIHAT`, `BALAS` and
/// `NILAI` of the same id agree on whether it exists and whose it is.
async fn lookup(
    app: &App,
    tracking_id: &TrackingId,
    sender_ref: &str,
) -> Result<Lookup, ServiceError> {
    Ok(match app.store.get(tracking_id).await? {
        Some(report) if report.reporter_ref.as_deref() == Some(sender_ref) => Lookup::Own(report),
        Some(report) if !report.confidential => Lookup::Public(report),
        _ => Lookup::NotFound,
    })
}

/// The rule for a message that names no report while one of the sender's reports waits for
/// them: it is their answer only when plainly so, else they are asked (README, "Channels").
/// Plainly an answer: the message names the waiting report's tracking id, or a question waits
/// and the message is too short to be a report of its own ("RT 04", "Ya, benar").
fn plainly_answers(waiting: &Report, text: &str) -> bool {
    let compact: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    let names_it = compact.contains(waiting.tracking_id.as_str());
    let short = clean(text).chars().count() < *limits::BODY_CHARS.start();
    names_it || (waiting.status == Status::Deferred && short)
}

/// How long a message waits for its sender to say whether it is a reply or a new report.
pub const KEPT_FOR_HOURS: i64 = crate::ports::FRAGMENT_MEMORY.num_hours();

/// Keeps the sender's message while they are asked what it is: one message per sender and
/// channel (a newer one replaces it), forgotten after [`KEPT_FOR_HOURS`]. Kept as the first of
/// two parts in the channel state's store of message parts; the sender's choice is the second,
/// which hands back the first ([`take_kept`]).
async fn keep(
    app: &App,
    state: &dyn ChannelState,
    message: &InboundMessage,
) -> Result<(), ServiceError> {
    let kept = serde_json::json!({
        "text": message.text,
        "sender_name": message.sender_name,
        "received_at": message.received_at,
        "public": message.public,
        "raw": message.raw,
    });
    let part = StoredFragment {
        part: 1,
        provider_message_id: message.provider_message_id.clone(),
        sealed_text: app
            .pii
            .seal(&serde_json::to_vec(&kept).expect("a kept message serialises")),
    };
    state
        .put_fragment(&kept_group(app, message), 2, &part, app.clock.now())
        .await?;
    Ok(())
}

/// The message kept for this sender (and forgets it), as it arrived; none when nothing is kept.
async fn take_kept(
    app: &App,
    state: &dyn ChannelState,
    choice: &InboundMessage,
) -> Result<Option<InboundMessage>, ServiceError> {
    let group = kept_group(app, choice);
    let marker = StoredFragment {
        part: 2,
        provider_message_id: choice.provider_message_id.clone(),
        sealed_text: app.pii.seal(b"{}"),
    };
    let Some(parts) = state
        .put_fragment(&group, 2, &marker, app.clock.now())
        .await?
    else {
        // Nothing kept: the choice must not wait for a message to come.
        state.clear_fragments(&group, &[marker]).await?;
        return Ok(None);
    };
    let kept = &parts[0];
    let opened: serde_json::Value = app
        .pii
        .open(&kept.sealed_text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ServiceError::internal("a kept message does not open with the key"))?;
    let message = InboundMessage {
        channel: choice.channel,
        provider_message_id: kept.provider_message_id.clone(),
        sender: choice.sender.clone(),
        sender_name: opened["sender_name"].as_str().map(str::to_string),
        text: opened["text"].as_str().unwrap_or_default().to_string(),
        received_at: serde_json::from_value(opened["received_at"].clone())
            .unwrap_or(choice.received_at),
        fragment: None,
        public: opened["public"].as_bool().unwrap_or(false),
        raw: opened["raw"].clone(),
        media: Vec::new(),
    };
    state.clear_fragments(&group, &parts).await?;
    Ok(Some(message))
}

/// Where a sender's kept message is stored: by channel and sender, keyed.
fn kept_group(app: &App, message: &InboundMessage) -> String {
    let channel = serde_json::to_string(&message.channel).expect("a channel serialises");
    app.pii.reference(
        "kept-message",
        &format!("{channel}:{}", message.sender.as_key()),
    )
}

/// The sender's newest report that waits for their answer (a question, or a follow-up they
/// may answer), among their latest few.
async fn waiting_for_sender(app: &App, sender_ref: &str) -> Result<Option<Report>, ServiceError> {
    Ok(latest_of_sender(app, sender_ref)
        .await?
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

/// The sender's reply `text` to `report`, as `message` (the one received, or the one kept
/// back: its provider id makes the action id, so a redelivery is recognised as the same).
/// A refusal is answered to `answer_to` (the message received) or else to `message`.
async fn reply(
    app: &App,
    message: &InboundMessage,
    report: Report,
    text: String,
    answer_to: Option<&InboundMessage>,
) -> Result<Handled, ServiceError> {
    let tracking_id = report.tracking_id.clone();
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
        Err(ServiceError::Conflict { .. } | ServiceError::Forbidden(_)) => {
            answer(
                app,
                answer_to.unwrap_or(message),
                Some(&tracking_id),
                reply_refused_text(&tracking_id),
            )
            .await
        }
        Err(ServiceError::Invalid(_)) => {
            answer(
                app,
                answer_to.unwrap_or(message),
                Some(&tracking_id),
                reply_too_long_text(&tracking_id),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// The sender's rating of their report, by the web's rule (`rate`: once, when `responded` or
/// `closed`).
async fn rate(
    app: &App,
    message: &InboundMessage,
    report: Report,
    stars: u8,
    comment: Option<String>,
) -> Result<Handled, ServiceError> {
    let tracking_id = report.tracking_id.clone();
    let action_id = message_key(message.channel, &message.provider_message_id);
    let outcome = actions::act_on(
        app,
        &Actor::Reporter,
        report,
        Some(&action_id),
        &Action::Rate {
            stars,
            comment: comment.map(|c| clean(&c)).filter(|c| !c.is_empty()),
        },
    )
    .await;
    let refusal = match outcome {
        Ok(_) => return Ok(Handled::RatingRecorded { tracking_id }),
        Err(ServiceError::Conflict {
            code: "already_done",
            ..
        }) => {
            format!("Laporan {tracking_id} sudah Anda nilai. Terima kasih.")
        }
        Err(ServiceError::Conflict { .. } | ServiceError::Forbidden(_)) => format!(
            "Laporan {tracking_id} belum dapat dinilai. Penilaian dibuka setelah instansi \
             menindaklanjutinya. Kirim CEK {tracking_id} untuk statusnya."
        ),
        Err(ServiceError::Invalid(_)) => format!(
            "Komentar penilaian laporan {tracking_id} terlalu panjang (paling banyak {} huruf). \
             Kirim lagi: NILAI {tracking_id} <1-5> <komentar singkat>.",
            crate::lifecycle::REASON_CHARS
        ),
        Err(e) => return Err(e),
    };
    answer(app, message, Some(&tracking_id), refusal).await
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

/// The answer to `BALAS` or `NILAI` of a report that is not the sender's: another's public
/// report is named as not theirs; any other is not found (a confidential one is not told apart).
async fn not_theirs(
    app: &App,
    message: &InboundMessage,
    tracking_id: &TrackingId,
    public: bool,
) -> Result<Handled, ServiceError> {
    let text = match public {
        true => not_theirs_text(tracking_id),
        false => not_found_text(tracking_id),
    };
    answer(app, message, Some(tracking_id), text).await
}

/// An answer that is not a timeline event (status, help): to the sender, on their channel.
async fn answer(
    app: &App,
    message: &InboundMessage,
    tracking_id: Option<&TrackingId>,
    text: String,
) -> Result<Handled, ServiceError> {
    answer_as(app, message, tracking_id, text, "").await
}

/// [`answer`], with `suffix` on its notification id: a second answer to one message (about its
/// media) is not taken for the first sent again.
async fn answer_as(
    app: &App,
    message: &InboundMessage,
    tracking_id: Option<&TrackingId>,
    text: String,
    suffix: &str,
) -> Result<Handled, ServiceError> {
    let contact = contact_of(message);
    let notice = Notification {
        // One answer per inbound message, however often the gateway delivers it.
        notification_id: format!(
            "answer:{}{suffix}",
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

fn photo_needs_text_text() -> String {
    "Foto perlu keterangan. Kirim foto dengan keterangan berisi laporan Anda (apa dan di mana), \
     atau kirim laporannya dulu (LAPOR <isi laporan, lokasi>) lalu fotonya."
        .into()
}

fn media_attached_text(tracking_id: &TrackingId) -> String {
    format!("Foto/berkas Anda telah dilampirkan pada laporan {tracking_id}.")
}

fn media_failed_text(
    app: &App,
    tracking_id: &TrackingId,
    attached: usize,
    failed: usize,
) -> String {
    let mb = app
        .attachments
        .as_ref()
        .map_or(10, |a| a.max_bytes.div_ceil(1024 * 1024));
    let head = match attached {
        0 => format!("Foto/berkas Anda tidak dapat diterima untuk laporan {tracking_id}."),
        n => format!(
            "{n} foto/berkas telah dilampirkan pada laporan {tracking_id}, {failed} tidak dapat \
             diterima."
        ),
    };
    format!(
        "{head} Kirim ulang foto (JPEG, PNG atau WebP) atau PDF, paling besar {mb} MB, paling \
         banyak 5 per laporan."
    )
}

fn help_text() -> String {
    "LAPOR! Kirim laporan: LAPOR <isi laporan, lokasi>. Cek status: CEK <nomor>. Baca \
     tanggapan: LIHAT <nomor>. Balas: BALAS <nomor> <pesan>. Beri nilai: NILAI <nomor> <1-5>. \
     Dukung laporan yang sama: DUKUNG <nomor>. Tambahkan RAHASIA atau ANONIM di awal bila \
     perlu."
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

/// A command whose id does not read: the number is wrong, not the format.
fn invalid_id_text(keyword: &str) -> String {
    format!(
        "Nomor laporan tidak valid. Periksa kembali nomornya: 10 huruf dan angka seperti pada \
         pesan tanda terima, misalnya {keyword} G4KBG-QWVE4."
    )
}

/// Another sender's report (not confidential: its status is public).
fn not_theirs_text(tracking_id: &TrackingId) -> String {
    format!(
        "Laporan {tracking_id} tidak dikirim dari nomor atau akun ini. Hanya pelapornya yang \
         dapat membaca tanggapan, membalas, dan memberi nilai. Statusnya: kirim CEK \
         {tracking_id}."
    )
}

/// `BALAS <id>` alone, with nothing kept back to send.
fn no_reply_text(tracking_id: &TrackingId) -> String {
    format!("Tulis balasan Anda setelah nomornya: BALAS {tracking_id} <pesan>.")
}

fn rating_format_text(tracking_id: &TrackingId) -> String {
    format!(
        "Nilai dengan angka 1 sampai 5 (5 paling baik): NILAI {tracking_id} <1-5> <komentar>, \
         misalnya NILAI {tracking_id} 5 Cepat ditangani."
    )
}

/// The question back to a sender whose message may be a reply or a new report.
fn ask_which_text(tracking_id: &TrackingId) -> String {
    format!(
        "Apakah pesan Anda balasan untuk laporan {tracking_id}? Kirim BALAS {tracking_id} \
         untuk mengirimnya sebagai balasan, atau LAPOR untuk menjadikannya laporan baru. Pesan \
         Anda kami simpan {KEPT_FOR_HOURS} jam."
    )
}

fn reply_refused_text(tracking_id: &TrackingId) -> String {
    format!(
        "Balasan untuk laporan {tracking_id} tidak dapat diterima karena laporan ini sudah \
         selesai atau diarsipkan. Kirim LAPOR <isi> untuk laporan baru, atau CEK {tracking_id} \
         untuk statusnya."
    )
}

fn reply_too_long_text(tracking_id: &TrackingId) -> String {
    format!(
        "Balasan untuk laporan {tracking_id} terlalu panjang (paling banyak {} huruf). \
         Persingkat, lalu kirim lagi: BALAS {tracking_id} <pesan>.",
        crate::lifecycle::MESSAGE_CHARS
    )
}

/// The institution's latest question or answer to the reporter, with what they may do next;
/// none before the institution said anything.
fn latest_exchange(report: &Report, directory: &crate::directory::Directory) -> Option<String> {
    let index = crate::lifecycle::latest_words(report)?;
    let words = crate::lifecycle::institution_words(report, index, directory)?;
    let rated = report.rating.is_some();
    Some(format!(
        "{words}{}",
        crate::lifecycle::next_step_hint(&report.tracking_id, report.status, rated)
    ))
}

/// The status in LAPOR's words, with the step's deadline in the holding institution's own time
/// zone (WIB, WITA or WIT), as citizens read times.
fn status_text(app: &App, report: &Report) -> String {
    let label = report.status.label().id;
    match report.deadline {
        Some(deadline) if !report.status.is_final() => {
            let directory = app.directory.now();
            let zone = app
                .deadlines
                .zone_of(&directory, report.agency_id.as_deref());
            format!(
                "Status laporan {}: {label}. Batas waktu tahap ini: {}.",
                report.tracking_id,
                crate::lifecycle::local_time(deadline.at, zone)
            )
        }
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
    fn the_example_of_a_valid_number_is_one() {
        let text = invalid_id_text("CEK");
        let example = text.rsplit(' ').next().unwrap().trim_end_matches('.');
        assert_eq!(example, "G4KBG-QWVE4");
        assert!(TrackingId::parse(example).is_some(), "{example}");
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
        for text in [
            help_text(),
            too_short_text(),
            not_found_text(&id),
            invalid_id_text("BALAS"),
            not_theirs_text(&id),
            no_reply_text(&id),
            rating_format_text(&id),
            ask_which_text(&id),
            reply_refused_text(&id),
            reply_too_long_text(&id),
        ] {
            assert!(text.chars().count() <= 306, "{text}");
        }
    }
}
