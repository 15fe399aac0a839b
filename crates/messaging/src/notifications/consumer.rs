//! Turns notification requests into deliveries, in the transaction that
//! consumes the request.
//!
//! It hears two event kinds: [`REQUESTED`] (any domain asking to tell
//! someone something) and chat's [`MESSAGE_CREATED`] (tell the members who
//! were away). For each recipient it picks the channels the kind uses that
//! are configured here, leaves out the ones the recipient turned off
//! (never for security kinds) and the ones the sender withheld (a plan
//! without WhatsApp reminders), renders each in the recipient's locale and
//! time zone, and queues one delivery per channel and address. The
//! dispatcher commits those rows with the event's "handled" mark, so a
//! crash either loses neither or keeps both.

use std::{
    collections::{BTreeSet, HashSet},
    sync::Arc,
};

use chrono_tz::Tz;
use sea_orm::{DatabaseTransaction, EntityTrait};
use trellis_kernel::{
    id::{EventId, UserId},
    notify::{ChannelKind, NewMessageParams, Notice, NotificationRequest, REQUESTED, Recipient},
    outbox::{Event, HandlerError, Subscriber},
    ports::People,
};

use super::{
    Locale,
    catalogue::spec,
    deliveries::{self, NewDelivery},
    devices,
    message::Rendered,
    preferences::{PreferenceService, subjects_of, turned_off},
    render::{RenderContext, Renderer},
};
use crate::{
    entities::room,
    events::{MESSAGE_CREATED, MessageCreated},
    service::MessagingDeps,
};

/// The kinds the consumer hears.
const KINDS: &[&str] = &[REQUESTED, MESSAGE_CREATED];

/// The outbox subscriber of the notification half.
pub struct NotificationConsumer {
    deps: Arc<MessagingDeps>,
    renderer: Arc<Renderer>,
    people: Arc<dyn People>,
    preferences: PreferenceService,
    configured: HashSet<ChannelKind>,
    app_url: String,
    api_url: String,
}

impl std::fmt::Debug for NotificationConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationConsumer")
            .field("configured", &self.configured)
            .finish_non_exhaustive()
    }
}

fn db_failure(err: impl std::fmt::Display) -> HandlerError {
    HandlerError::transient(err)
}

impl NotificationConsumer {
    pub(crate) fn new(
        deps: Arc<MessagingDeps>,
        renderer: Arc<Renderer>,
        people: Arc<dyn People>,
        preferences: PreferenceService,
        configured: HashSet<ChannelKind>,
        app_url: String,
        api_url: String,
    ) -> Self {
        Self {
            deps,
            renderer,
            people,
            preferences,
            configured,
            app_url: app_url.trim_end_matches('/').to_string(),
            api_url: api_url.trim_end_matches('/').to_string(),
        }
    }

    /// The deliveries that tell `recipient` about `notice`, by none of the
    /// `withheld` channels.
    async fn plan(
        &self,
        txn: &DatabaseTransaction,
        recipient: &Recipient,
        notice: &Notice,
        withheld: &BTreeSet<ChannelKind>,
    ) -> Result<Vec<NewDelivery>, HandlerError> {
        let kind = notice.kind();
        let spec = spec(kind);
        let off = turned_off(txn, &subjects_of(recipient), kind)
            .await
            .map_err(db_failure)?;
        let locale = Locale::for_tag(recipient.locale.as_deref());
        let zone: Tz = recipient
            .time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(Tz::UTC);
        // Marketing-grade emails carry an unsubscribe link in the body (the
        // web app's page) and a one-click one in the headers (the API).
        let token = spec
            .marketing
            .then(|| self.preferences.unsubscribe_token(recipient, kind))
            .flatten();
        let unsubscribe_link = token
            .as_ref()
            .map(|token| format!("{}/unsubscribe?token={token}", self.app_url));
        let one_click = token.as_ref().map(|token| {
            format!(
                "{}/api/v1/notifications/unsubscribe?token={token}",
                self.api_url
            )
        });
        let cx = RenderContext {
            recipient_name: &recipient.name,
            unsubscribe_link: unsubscribe_link.as_deref(),
        };
        let mut planned = Vec::new();
        for &channel in spec.channels {
            if !self.configured.contains(&channel)
                || off.contains(&channel)
                || withheld.contains(&channel)
            {
                continue;
            }
            let addresses = match channel {
                ChannelKind::Email => recipient
                    .email
                    .iter()
                    .map(|e| (e.as_str().to_string(), None))
                    .collect(),
                ChannelKind::Sms | ChannelKind::Whatsapp => recipient
                    .phone
                    .iter()
                    .map(|p| (p.as_str().to_string(), None))
                    .collect(),
                ChannelKind::Push => match recipient.user_id {
                    Some(user) => devices::of_user(txn, user)
                        .await
                        .map_err(db_failure)?
                        .into_iter()
                        .map(|d| (d.token, Some(d.id)))
                        .collect(),
                    None => Vec::new(),
                },
            };
            if addresses.is_empty() {
                continue;
            }
            // A template that does not render is a bug no retry fixes.
            let mut message = self
                .renderer
                .render(notice, channel, locale, zone, &cx)
                .map_err(HandlerError::permanent)?;
            if let Rendered::Email(email) = &mut message {
                email.list_unsubscribe = one_click.clone();
            }
            for (address, device_id) in addresses {
                planned.push(NewDelivery {
                    kind,
                    user_id: recipient.user_id,
                    name: recipient.name.clone(),
                    address,
                    device_id,
                    message: message.clone(),
                    secret: notice.is_secret(),
                });
            }
        }
        if planned.is_empty() {
            tracing::info!(kind = kind.as_str(), "notification has no channel to go by");
        }
        Ok(planned)
    }

    async fn requested(
        &self,
        txn: &DatabaseTransaction,
        event: &Event,
    ) -> Result<(), HandlerError> {
        let request: NotificationRequest = event.payload()?;
        let planned = self
            .plan(txn, &request.recipient, &request.notice, &request.withheld)
            .await?;
        self.queue(txn, event.id, planned).await
    }

    /// Tells the members who were away about a chat message.
    async fn message_created(
        &self,
        txn: &DatabaseTransaction,
        event: &Event,
    ) -> Result<(), HandlerError> {
        let created: MessageCreated = event.payload()?;
        let online = self.deps.realtime.online(&created.recipients).await;
        let away: Vec<UserId> = created
            .recipients
            .iter()
            .filter(|u| !online.contains(u))
            .copied()
            .collect();
        if away.is_empty() {
            return Ok(());
        }
        // One lookup for the members away and the sender's name.
        let mut asked = away;
        asked.push(created.sender_id);
        let (senders, people): (Vec<Recipient>, Vec<Recipient>) = self
            .people
            .recipients(txn, &asked)
            .await
            .map_err(db_failure)?
            .into_iter()
            .partition(|r| r.user_id == Some(created.sender_id));
        let sender_name = senders
            .into_iter()
            .next()
            .map(|s| s.name)
            .unwrap_or_default();
        let room_name = room::Entity::find_by_id(created.room_id)
            .one(txn)
            .await
            .map_err(db_failure)?
            .and_then(|r| r.name)
            .unwrap_or_else(|| sender_name.clone());
        let notice = Notice::NewMessage(NewMessageParams {
            sender_name,
            room_name,
            preview: created.preview,
            link: format!("{}/chat/rooms/{}", self.app_url, created.room_id),
        });
        let mut planned = Vec::new();
        for person in &people {
            planned.extend(self.plan(txn, person, &notice, &BTreeSet::new()).await?);
        }
        self.queue(txn, event.id, planned).await
    }

    async fn queue(
        &self,
        txn: &DatabaseTransaction,
        event: EventId,
        planned: Vec<NewDelivery>,
    ) -> Result<(), HandlerError> {
        deliveries::queue(txn, &self.deps.clock, event, planned)
            .await
            .map(|_| ())
            .map_err(db_failure)
    }
}

#[async_trait::async_trait]
impl Subscriber for NotificationConsumer {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Event) -> Result<(), HandlerError> {
        match event.kind.as_str() {
            REQUESTED => self.requested(txn, event).await,
            MESSAGE_CREATED => self.message_created(txn, event).await,
            other => Err(HandlerError::permanent(format!(
                "notifications do not handle {other}"
            ))),
        }
    }
}
