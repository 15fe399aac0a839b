//! Rows to views.

use trellis_kernel::Role;

use crate::{
    entities::user,
    model::{Profile, StaffUserView, UserSummary},
};

/// The global roles stored on a user (unknown names are ignored).
pub fn roles_of(user: &user::Model) -> Vec<Role> {
    user.roles
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().and_then(Role::parse))
        .collect()
}

/// Roles without repeats, in first-seen order.
pub fn unique_roles(roles: impl IntoIterator<Item = Role>) -> Vec<Role> {
    roles.into_iter().fold(Vec::new(), |mut out, role| {
        if !out.contains(&role) {
            out.push(role);
        }
        out
    })
}

/// Roles as stored.
pub fn roles_json(roles: &[Role]) -> serde_json::Value {
    serde_json::Value::Array(roles.iter().map(|r| r.as_str().into()).collect())
}

/// The user part of a token response.
pub fn summary(user: &user::Model) -> UserSummary {
    UserSummary {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        anonymous: user.is_anonymous,
    }
}

/// The owner's view.
pub fn profile(user: user::Model) -> Profile {
    Profile {
        roles: roles_of(&user),
        id: user.id,
        email: user.email,
        email_verified: user.email_verified_at.is_some(),
        name: user.name,
        phone: user.phone,
        verified_phone: user.verified_phone,
        locale: user.locale,
        time_zone: user.time_zone,
        anonymous: user.is_anonymous,
        created_at: user.created_at.into(),
    }
}

/// Staff's view.
pub fn staff_view(user: user::Model) -> StaffUserView {
    StaffUserView {
        roles: roles_of(&user),
        id: user.id,
        email: user.email,
        name: user.name,
        verified_phone: user.verified_phone,
        anonymous: user.is_anonymous,
        deactivated_at: user.deactivated_at.map(Into::into),
        created_at: user.created_at.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_roles_collapse_in_first_seen_order() {
        let roles = unique_roles([Role::Staff, Role::Admin, Role::Staff, Role::Admin]);
        assert_eq!(roles, vec![Role::Staff, Role::Admin]);
    }
}
