//! Who is in a room: the one check every room operation starts with, and
//! the audience a change is published to.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use trellis_kernel::id::UserId;

use crate::{
    entities::{member, room},
    error::{Error, Result},
    ids::RoomId,
    realtime::{Delivery, RealtimeBus, ServerEvent},
};

/// The caller's membership of a room, or [`Error::RoomNotFound`]: a
/// stranger cannot tell a room they are not in from one that does not exist.
pub async fn membership(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<member::Model> {
    member::Entity::find_by_id((room, user))
        .one(db)
        .await?
        .ok_or(Error::RoomNotFound)
}

/// The room the caller is a member of, with their membership.
pub async fn room_of_member(
    db: &impl ConnectionTrait,
    room_id: RoomId,
    user: UserId,
) -> Result<(room::Model, member::Model)> {
    let membership = membership(db, room_id, user).await?;
    let room = room::Entity::find_by_id(room_id)
        .one(db)
        .await?
        .ok_or(Error::RoomNotFound)?;
    Ok((room, membership))
}

/// Every member of a room.
pub async fn member_ids(db: &impl ConnectionTrait, room: RoomId) -> Result<Vec<UserId>> {
    Ok(member::Entity::find()
        .select_only()
        .column(member::Column::UserId)
        .filter(member::Column::RoomId.eq(room))
        .into_tuple::<UserId>()
        .all(db)
        .await?)
}

/// Publishes `event` to `to` (after the change committed).
pub async fn publish(bus: &dyn RealtimeBus, to: Vec<UserId>, event: &ServerEvent) {
    if to.is_empty() {
        return;
    }
    bus.publish(Delivery {
        to,
        frame: event.to_frame(),
    })
    .await;
}
