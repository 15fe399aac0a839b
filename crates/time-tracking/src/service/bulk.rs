//! What the bulk operations share: the id list's limits and the report.
//!
//! A bulk operation is one transaction whose first statement is its write
//! (an `UPDATE … RETURNING` or `DELETE … RETURNING` over the ids, scoped to
//! the organization), so it follows SQLite's write-first rule and does not
//! depend on a failing statement, which would abort a PostgreSQL
//! transaction: a delete skips, in SQL, the rows still referenced, and a
//! second read tells those (`conflict`) from ids that are not the
//! organization's (`not_found`).

use std::{collections::HashSet, hash::Hash};

use trellis_kernel::{
    DomainError,
    ports::{OrgAccess, OrgRole},
};
use uuid::Uuid;

use crate::{
    error::{Error, Result},
    model::{BulkItemResult, BulkOutcome, BulkReport},
};

/// The most ids one bulk operation takes.
pub const MAX_BULK_IDS: usize = 500;

/// Bulk operations are for admins (403 `org.role_required`).
pub(crate) fn require_admin(access: &OrgAccess) -> Result<()> {
    if access.at_least(OrgRole::Admin) {
        Ok(())
    } else {
        Err(Error::admin_required())
    }
}

/// The ids, each once, in the order given; 1 to [`MAX_BULK_IDS`] of them.
pub(crate) fn distinct<I: Copy + Eq + Hash>(ids: &[I]) -> Result<Vec<I>> {
    let mut seen = HashSet::with_capacity(ids.len());
    let ids: Vec<I> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if ids.is_empty() || ids.len() > MAX_BULK_IDS {
        return Err(Error::field(
            "ids",
            format!("must list 1 to {MAX_BULK_IDS} ids"),
        ));
    }
    Ok(ids)
}

/// One result per id: done, refused for `why`, or not found.
pub(crate) fn report(
    ids: impl IntoIterator<Item = Uuid>,
    done: &HashSet<Uuid>,
    refused: &HashSet<Uuid>,
    why: &Error,
) -> BulkReport {
    let mut report = BulkReport {
        ok: 0,
        not_found: 0,
        conflict: 0,
        results: Vec::new(),
    };
    for id in ids {
        let result = if done.contains(&id) {
            report.ok += 1;
            BulkItemResult {
                id,
                outcome: BulkOutcome::Ok,
                code: None,
                reason: None,
            }
        } else if refused.contains(&id) {
            report.conflict += 1;
            BulkItemResult {
                id,
                outcome: BulkOutcome::Conflict,
                code: Some(why.code().to_string()),
                reason: Some(why.to_string()),
            }
        } else {
            report.not_found += 1;
            BulkItemResult {
                id,
                outcome: BulkOutcome::NotFound,
                code: None,
                reason: None,
            }
        };
        report.results.push(result);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_capped() {
        assert_eq!(distinct(&[3, 1, 3, 2, 1]).ok(), Some(vec![3, 1, 2]));
        assert!(distinct::<u32>(&[]).is_err());
        let many: Vec<u32> = (0..=u32::try_from(MAX_BULK_IDS).unwrap_or(500)).collect();
        assert!(distinct(&many).is_err());
        assert!(distinct(&many[..MAX_BULK_IDS]).is_ok());
    }

    #[test]
    fn results_follow_the_ids() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let report = report(
            [a, b, c],
            &HashSet::from([a]),
            &HashSet::from([b]),
            &Error::TaskInUse,
        );
        assert_eq!((report.ok, report.conflict, report.not_found), (1, 1, 1));
        let outcomes: Vec<_> = report.results.iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes,
            [
                BulkOutcome::Ok,
                BulkOutcome::Conflict,
                BulkOutcome::NotFound
            ]
        );
        assert_eq!(report.results[1].code.as_deref(), Some("task.in_use"));
    }
}
