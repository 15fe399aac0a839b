//! Rows to views.

use crate::{
    entities::{agency_client, project, task, task_comment, time_entry},
    model::{AgencyClientView, CommentView, ProjectView, TaskView, TimeEntryView},
};

/// A client.
pub fn client(c: agency_client::Model) -> AgencyClientView {
    AgencyClientView {
        id: c.id,
        name: c.name,
        email: c.email,
        phone: c.phone,
        address: c.address,
        currency: c.currency,
        hourly_rate_minor: c.hourly_rate_minor,
        archived: c.archived,
        created_at: c.created_at.into(),
        updated_at: c.updated_at.into(),
    }
}

/// A project.
pub fn project(p: project::Model) -> ProjectView {
    ProjectView {
        id: p.id,
        client_id: p.client_id,
        name: p.name,
        code: p.code,
        status: p.status,
        billable: p.billable,
        hourly_rate_minor: p.hourly_rate_minor,
        budget_hours: p.budget_hours,
        color: p.color,
        created_at: p.created_at.into(),
        updated_at: p.updated_at.into(),
    }
}

/// A task.
pub fn task(t: task::Model) -> TaskView {
    TaskView {
        id: t.id,
        project_id: t.project_id,
        title: t.title,
        description: t.description,
        status: t.status,
        priority: t.priority,
        assignee_id: t.assignee_id,
        due_on: t.due_on,
        estimate_minutes: t.estimate_minutes,
        created_by: t.created_by,
        created_at: t.created_at.into(),
        updated_at: t.updated_at.into(),
    }
}

/// A comment.
pub fn comment(c: task_comment::Model) -> CommentView {
    CommentView {
        id: c.id,
        task_id: c.task_id,
        author_id: c.author_id,
        body: c.body,
        created_at: c.created_at.into(),
        edited_at: c.edited_at.map(Into::into),
    }
}

/// A time entry.
pub fn entry(e: time_entry::Model) -> TimeEntryView {
    TimeEntryView {
        id: e.id,
        user_id: e.user_id,
        project_id: e.project_id,
        task_id: e.task_id,
        description: e.description,
        start_at: e.start_at.into(),
        end_at: e.end_at.map(Into::into),
        duration_seconds: e.duration_seconds,
        billable: e.billable,
        rate_minor: e.rate_minor,
        currency: e.currency,
        billed_invoice_id: e.billed_invoice_id,
        created_at: e.created_at.into(),
        updated_at: e.updated_at.into(),
    }
}
