//! A message's attachments: checked and linked when it is sent, loaded for
//! a page of messages in one statement, unlinked when it is deleted.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use trellis_kernel::{FieldError, id::UserId};

use crate::{
    entities::{attachment, file},
    error::{Error, Result},
    ids::{FileId, MessageId},
    model::{AttachmentView, MAX_ATTACHMENTS},
    view,
};

/// The attachment list's shape: at most [`MAX_ATTACHMENTS`], no file twice.
/// (Before any transaction opens.)
pub(crate) fn check_list(ids: &[FileId]) -> Result<()> {
    if ids.len() > MAX_ATTACHMENTS {
        return Err(Error::field(
            "attachments",
            format!("at most {MAX_ATTACHMENTS} files"),
        ));
    }
    let mut seen = HashSet::new();
    let repeats: Vec<FieldError> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !seen.insert(**id))
        .map(|(i, _)| FieldError::new(format!("attachments[{i}]"), "this file is listed twice"))
        .collect();
    if repeats.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(repeats))
    }
}

/// The files, in the order given, if every one is the sender's; otherwise
/// a 422 naming each other one (`attachments[i]`), whether it does not
/// exist or is someone else's (the same answer: files cannot be probed).
pub(crate) async fn owned_files(
    db: &impl ConnectionTrait,
    sender: UserId,
    ids: &[FileId],
) -> Result<Vec<file::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: HashMap<FileId, file::Model> = file::Entity::find()
        .filter(file::Column::Id.is_in(ids.iter().copied()))
        .filter(file::Column::OwnerId.eq(sender))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut files = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match found.remove(id) {
            Some(f) => files.push(f),
            None => missing.push(FieldError::new(
                format!("attachments[{i}]"),
                "no such file of yours",
            )),
        }
    }
    if missing.is_empty() {
        Ok(files)
    } else {
        Err(Error::Validation(missing))
    }
}

/// Links `files` to `message`, in order (on the message's transaction).
pub(crate) async fn link(
    db: &impl ConnectionTrait,
    message: MessageId,
    files: &[file::Model],
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let rows = files
        .iter()
        .enumerate()
        .map(|(i, f)| attachment::ActiveModel {
            message_id: sea_orm::ActiveValue::Set(message),
            file_id: sea_orm::ActiveValue::Set(f.id),
            position: sea_orm::ActiveValue::Set(i16::try_from(i).unwrap_or(i16::MAX)),
        });
    attachment::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Removes a message's links; the files stay (see `MessageService::delete`).
pub(crate) async fn unlink(db: &impl ConnectionTrait, message: MessageId) -> Result<()> {
    attachment::Entity::delete_many()
        .filter(attachment::Column::MessageId.eq(message))
        .exec(db)
        .await?;
    Ok(())
}

/// The attachments of each of `messages`, in order: one statement however
/// many messages (a history page, a room list's newest messages).
pub(crate) async fn of_messages(
    db: &impl ConnectionTrait,
    messages: &[MessageId],
) -> Result<HashMap<MessageId, Vec<AttachmentView>>> {
    let mut by_message: HashMap<MessageId, Vec<AttachmentView>> = HashMap::new();
    if messages.is_empty() {
        return Ok(by_message);
    }
    let rows = attachment::Entity::find()
        .filter(attachment::Column::MessageId.is_in(messages.iter().copied()))
        .order_by_asc(attachment::Column::MessageId)
        .order_by_asc(attachment::Column::Position)
        .find_also_related(file::Entity)
        .all(db)
        .await?;
    for (link, file) in rows {
        if let Some(file) = file {
            by_message
                .entry(link.message_id)
                .or_default()
                .push(view::attachment(&file));
        }
    }
    Ok(by_message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_bounded_and_without_repeats() {
        assert!(check_list(&[]).is_ok());
        let ids: Vec<FileId> = (0..MAX_ATTACHMENTS).map(|_| FileId::new()).collect();
        assert!(check_list(&ids).is_ok());
        let mut too_many = ids.clone();
        too_many.push(FileId::new());
        assert!(check_list(&too_many).is_err());
        let twice = vec![ids[0], ids[1], ids[0]];
        match check_list(&twice) {
            Err(Error::Validation(errors)) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].field, "attachments[2]");
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
